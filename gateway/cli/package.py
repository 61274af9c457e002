"""``gateway package open``: a recipient decrypts its package with its own private key."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.errors import ConfigurationError
from gateway.jsontypes import JsonObject

package_app = typer.Typer(
    help="Pakketten van een verstrekking (voor ontvangers).", no_args_is_help=True
)
console = Console(stderr=True)


def _subject_line(subject: dict[str, str]) -> str:
    values = ", ".join(v for k, v in subject.items() if k not in {"soort", "rol"})
    return f"{subject.get('rol', subject.get('soort', ''))}: {values}"


def records_table(document: JsonObject, *, limit: int | None = None) -> Table:
    records = document["records"]
    shown = records if limit is None else records[:limit]
    title = f"Verstrekking {document['verstrekking']} aan {document['ontvanger']}"
    if len(shown) < len(records):
        title += f" (eerste {len(shown)} van {len(records)})"
    table = Table(title=title)
    for column in ("signaal", "vorm", "betrokkenen", "toelichting", "bron"):
        table.add_column(column)
    for found in shown:
        people = "\n".join(_subject_line(subject) for subject in found["betrokkenen"])
        details = "\n".join(f"{k}: {v}" for k, v in found["toelichting"].items())
        source = " ".join(str(found.get(k, "")) for k in ("bron_partij", "bron_referentie")).strip()
        table.add_row(found["signaal"], found["vorm"], people, details, source)
    return table


@package_app.command("open")
def open_package(
    package: Annotated[
        Path,
        typer.Argument(
            help="Het pakket zoals opgehaald (JSON van GET /v1/packages/{id}); '-' leest stdin."
        ),
    ],
    party: Annotated[str, typer.Option(help="Uw partij-id: welke privésleutel opent het pakket.")],
    keys_dir: Annotated[
        Path, typer.Option(help="Map met privésleutels (<partij>/hpke.json).")
    ] = Path("var/dev-keys"),
    output: Annotated[
        str, typer.Option("--format", help="'table' (leesbaar) of 'json'.")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option(help="Schrijf de records naar dit bestand (JSON).")
    ] = None,
) -> None:
    """Ontsleutel een pakket met de privésleutel van uw partij en toon of bewaar de records."""
    from gateway import sealing
    from gateway.parties.keys import load_hpke_private
    from gateway.release.packages import open_package as open_

    try:
        raw = sys.stdin.read() if str(package) == "-" else package.read_text("utf-8")
        envelope = json.loads(raw)
        keys = load_hpke_private(keys_dir, party)
    except ConfigurationError as exc:
        console.print(f"[red]FAIL:[/] {exc.detail}")
        raise typer.Exit(2) from None
    except (OSError, json.JSONDecodeError) as exc:
        console.print(f"[red]FAIL:[/] {package}: geen leesbaar pakket ({exc.__class__.__name__})")
        raise typer.Exit(2) from None
    if envelope.get("recipient") != party:
        console.print(f"[red]FAIL:[/] dit pakket is niet voor {party}")
        raise typer.Exit(2)
    try:
        document = open_(envelope, private_keys=keys)
    except (sealing.SealError, KeyError, ValueError):
        console.print("[red]FAIL:[/] het pakket gaat niet open met deze sleutel")
        raise typer.Exit(1) from None
    if out is not None:
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        out.chmod(0o600)
        console.print(f"OK: {len(document['records'])} records geschreven naar {out}")
    elif output == "json":
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        Console().print(records_table(document))
        withheld = document.get("achtergehouden", [])
        if withheld:
            Console().print(f"{len(withheld)} signaal/signalen achtergehouden, met redenen:")
            for entry in withheld:
                codes = ", ".join(r.get("code", "") for r in entry.get("reasons", []))
                Console().print(f"  {entry.get('signal')}: {codes}")
