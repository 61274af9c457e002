"""Release to the casusoverleg: open only what the ``release`` decision allows,
keep only the allowed fields per recipient, and seal one package per recipient party."""
