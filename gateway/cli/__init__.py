"""The ``gateway`` command: one entry point, verb subcommands."""
