"""The published table as a JSON document: what ``GET /v1/stats`` returns. Pure.

Only dimension values, counts and marks: the rollup holds no ref, pseudonym or sealed data, so
none can end up here.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.jsontypes import JsonObject
from gateway.stats.dimensions import StatsQuery, Unit, month_text
from gateway.stats.suppression import COMPLEMENTARY_MARK, SuppressedTable

_UNIT_TEXT = {
    Unit.SIGNALEN: "Aantal signalen; elk signaal telt één keer.",
    Unit.SIGNAAL_INDICATOR: (
        "Aantal (signaal, indicator)-paren: een signaal met meer indicatoren telt bij elke "
        "indicator één keer. Totalen zijn dus geen aantallen signalen."
    ),
    Unit.SIGNAAL_BARRIERE: (
        "Aantal (signaal, barrière)-paren: een signaal telt bij elke barrière van zijn "
        "indicatoren één keer. Totalen zijn dus geen aantallen signalen."
    ),
}


def document(
    query: StatsQuery,
    table: SuppressedTable,
    *,
    revision: str,
    reasons: Sequence[dict[str, str]],
) -> JsonObject:
    """The response body. Cells are listed in key order; empty cells are not listed."""
    names = [d.value for d in query.dimensions]
    fields = (*names, "count")
    threshold = table.threshold
    return {
        "dimensions": names,
        "filters": {
            "since": None if query.since is None else month_text(query.since),
            "until": None if query.until is None else month_text(query.until),
            "gemeente": query.gemeente,
            "vorm": query.vorm,
        },
        "unit": query.unit.value,
        "unit_description": _UNIT_TEXT[query.unit],
        "totals_are_signal_counts": query.unit is Unit.SIGNALEN,
        "threshold": threshold,
        "cells": [
            dict(zip(fields, (*key, entry.shown(threshold)), strict=True))
            for key, entry in table.cells.items()
        ],
        "marginals": {
            name: [
                {name: value, "count": entry.shown(threshold)}
                for value, entry in table.marginals[d].items()
            ]
            for d, name in enumerate(names)
        }
        if table.marginals
        else {},
        "total": table.total.shown(threshold),
        "suppression": {
            "primary": table.primary,
            "complementary": table.complementary,
            "marks": {
                f"<{threshold}": f"1 t/m {threshold - 1} (kleine aantallen onderdrukt)",
                COMPLEMENTARY_MARK: (
                    f"{threshold} of meer, onderdrukt zodat een kleine cel niet door aftrekken "
                    "uit een totaal te herleiden is"
                ),
            },
            "empty_cells": "Lege combinaties (0) worden niet vermeld.",
        },
        "revision": revision,
        "reasons": list(reasons),
    }
