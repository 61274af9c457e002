"""The regional monitor (``GET /v1/stats``): which counts a requester may see, and how small
counts are suppressed. Domain only: no web or database code here (see ``gateway.storage.stats``
for the rollup tables and ``gateway.api.routes.stats`` for the endpoint)."""
