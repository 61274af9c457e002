"""Hits (DESIGN §6): clusters the ``hits`` policy calls a hit, and what the RIEC sees of them."""
