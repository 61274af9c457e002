"""The partner formats by name, as given on the command line (``--format``)."""

from __future__ import annotations

from adapters.arbeidsinspectie import ArbeidsinspectieCsv
from adapters.base import AdapterError, PartnerAdapter
from adapters.canonical import CanonicalJsonl
from adapters.gemeente import GemeenteCsv
from adapters.politie import PolitieJson
from adapters.woningcorporatie import WoningcorporatieCsv
from adapters.zorg import ZorgCsv

ADAPTERS: dict[str, PartnerAdapter] = {
    adapter.format: adapter
    for adapter in (
        CanonicalJsonl(),
        GemeenteCsv(),
        PolitieJson(),
        ArbeidsinspectieCsv(),
        ZorgCsv(),
        WoningcorporatieCsv(),
    )
}


def get(format: str) -> PartnerAdapter:  # noqa: A002 - the CLI option is called --format
    """The adapter for a format name, or ``AdapterError`` listing the known formats."""
    try:
        return ADAPTERS[format]
    except KeyError:
        raise AdapterError(f"onbekend formaat; bekende formaten: {', '.join(ADAPTERS)}") from None
