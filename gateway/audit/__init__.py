"""The audit log: a library core (``chain``) with a SQL driver (``store``)."""
