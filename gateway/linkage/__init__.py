"""Linkage: signals that share a pseudonym belong to one cluster, kept up to date
on every ingest rather than recomputed per request. What links and where a pseudonym becomes a
hub are policy data (``data.covenant.linkage``), read by :mod:`gateway.linkage.rules`."""
