"""Reference lists a signal is checked against: CBS municipality codes and the indicator catalogue.

Municipality codes ship with the package (CBS publishes them; they change on mergers). The indicator
catalogue is policy data: analysts and privacy officers extend it under ``policies/catalogue``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from gateway.errors import ConfigurationError
from gateway.vocabulary import Barrier

CATALOGUE_FILE = Path("catalogue") / "data.json"  # OPA data path: data.catalogue


@cache
def municipalities() -> dict[str, str]:
    """CBS code to name, e.g. ``GM0599`` to ``Rotterdam``."""
    text = resources.files("gateway.reference").joinpath("cbs_gemeenten.csv").read_text("utf-8")
    return {row["code"]: row["naam"] for row in csv.DictReader(text.splitlines())}


def validate_municipality(code: str) -> str:
    """Raise ValueError unless ``code`` is a current CBS municipality code."""
    if code not in municipalities():
        raise ValueError("onbekende CBS-gemeentecode (verwacht GMxxxx uit de CBS-lijst)")
    return code


@dataclass(frozen=True, slots=True)
class IndicatorCatalogue:
    """A versioned set of indicator codes, each under one barrier."""

    version: str
    barriers: dict[str, Barrier]

    def __contains__(self, code: object) -> bool:
        return code in self.barriers


def load_catalogue(policies_dir: Path) -> IndicatorCatalogue:
    """Read the catalogue; errors name the file and the offending code."""
    path = policies_dir / CATALOGUE_FILE
    try:
        data = json.loads(path.read_bytes())
        version = data["version"]
        entries = data["indicators"]
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: indicatorcatalogus ontbreekt") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{path}: geen geldige catalogus ({exc!r})") from None
    if not isinstance(version, str) or not version or not isinstance(entries, dict) or not entries:
        raise ConfigurationError(
            f"{path}: catalogue.version en catalogue.indicators zijn verplicht"
        )
    barriers: dict[str, Barrier] = {}
    for code, entry in entries.items():
        try:
            barriers[code] = Barrier(entry["barrier"])
        except (KeyError, TypeError, ValueError):
            raise ConfigurationError(
                f"{path}: catalogue.indicators.{code}.barrier: onbekende barrière"
            ) from None
    return IndicatorCatalogue(version=version, barriers=barriers)
