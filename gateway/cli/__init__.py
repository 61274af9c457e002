"""The ``gateway`` command (DESIGN §11): one entry point, verb subcommands."""
