"""Privacy-first data-sharing gateway for a regional covenant against human trafficking."""

__version__ = "0.1.0"
