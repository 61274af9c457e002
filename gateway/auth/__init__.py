"""Signed calls: every request carries a JWT bound to its method, path and body."""
