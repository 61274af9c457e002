"""The regional monitor (``GET /v1/stats``): which counts a requester may see, and how small
counts are suppressed. ``dimensions``, ``suppression`` and ``report`` are the domain (no web or
database code); ``service`` is the use case that asks the ``stats`` policy, counts through
``gateway.storage.stats`` and audits the view."""
