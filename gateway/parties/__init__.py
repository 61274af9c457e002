"""Covenant parties and their keys (DESIGN §3)."""
