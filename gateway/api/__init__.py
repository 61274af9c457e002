"""HTTP edge: thin views over the services (FastAPI)."""
