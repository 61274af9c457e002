"""Signals: what partners report, pseudonymised and sealed (DESIGN §1, §11)."""
