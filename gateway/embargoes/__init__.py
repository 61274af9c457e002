"""Embargoes of an investigation: politie and OM hold back what concerns a subject, a signal or
a whole case (use cases in :mod:`gateway.embargoes.service`; what an embargo holds in
:mod:`gateway.embargoes.holds`)."""
