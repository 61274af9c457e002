"""What every use case shares: who acts (:class:`Actor`) and the unit of work that commits an
effect, its policy decision record and its audit entry together (:class:`UnitOfWork`).

The use cases themselves live in the package of their domain concept (``gateway.signals.ingest``,
``gateway.cases.service``, ``gateway.release.service`` ...). The API, the CLI and the demo call
them; none of those opens a transaction or touches storage itself.
"""

from gateway.service.actor import Actor
from gateway.service.work import UnitOfWork, Work

__all__ = ["Actor", "UnitOfWork", "Work"]
