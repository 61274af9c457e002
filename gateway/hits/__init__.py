"""Hits: clusters the ``hits`` policy calls a hit, and what the RIEC sees of them."""
