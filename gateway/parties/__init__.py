"""Covenant parties and their keys."""
