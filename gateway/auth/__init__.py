"""Signed calls (DESIGN §3): every request carries a JWT bound to its method, path and body."""
