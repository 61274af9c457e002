"""Signals: what partners report, pseudonymised and sealed."""
