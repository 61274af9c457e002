"""``gateway adapter push``: what a partner's back office runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from gateway.errors import ConfigurationError

adapter_app = typer.Typer(
    help="Partneradapters: exports inlezen en signalen aanbieden.", no_args_is_help=True
)
console = Console(stderr=True)


@adapter_app.command("formats")
def formats() -> None:
    """Toon de ondersteunde exportformaten."""
    from adapters.registry import ADAPTERS

    for name, adapter in sorted(ADAPTERS.items()):
        console.print(f"{name}: {', '.join(sorted(t.value for t in adapter.party_types))}")


@adapter_app.command("push")
def push_command(
    file: Annotated[
        Path, typer.Argument(help="Het exportbestand.", exists=True, dir_okay=False, readable=True)
    ],
    party: Annotated[str, typer.Option("--party", help="Uw partij-id uit het convenant.")],
    format_: Annotated[
        str, typer.Option("--format", help="Exportformaat (zie `adapter formats`).")
    ],
    check_only: Annotated[
        bool, typer.Option("--check", help="Alleen controleren; niets versturen.")
    ] = False,
    gateway_url: Annotated[
        str, typer.Option("--gateway", envvar="GATEWAY_URL", help="URL van de gateway.")
    ] = "http://127.0.0.1:8080",
    key_dir: Annotated[
        Path | None,
        typer.Option("--keys", help="Map met privésleutels (standaard GATEWAY_PRIVATE_KEYS_DIR)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="Signalen per batch.")] = 500,
    state: Annotated[
        Path | None, typer.Option(help="Voortgangsbestand (standaard FILE.push-state.json).")
    ] = None,
) -> None:
    """Controleer, pseudonimiseer, verzegel, onderteken en verstuur een export."""
    from adapters import push
    from adapters.base import AdapterError
    from adapters.registry import get
    from gateway.parties.keys import load_signing_key
    from gateway.settings import Settings

    try:
        adapter = get(format_)
    except AdapterError as exc:
        console.print(f"[red]FAIL:[/] {exc}")
        raise typer.Exit(2) from None
    report = push.check(adapter, file)
    for error in report.errors[:200]:
        console.print(f"[red]FAIL:[/] {file.name}: {error}")
    if len(report.errors) > 200:
        console.print(f"… en nog {len(report.errors) - 200} fouten")
    if report.errors:
        console.print(
            f"[red]FAIL:[/] {len(report.errors)} fout(en) in het bestand; er is niets verstuurd"
        )
        raise typer.Exit(1)
    console.print(f"OK: {report.records} records zonder fouten")
    if check_only:
        return
    try:
        key = load_signing_key(key_dir or Settings().private_keys_dir, party)
    except ConfigurationError as exc:
        console.print(f"[red]FAIL:[/] {exc.detail}")
        raise typer.Exit(2) from None
    client = push.GatewayClient(base_url=gateway_url, key=key, subject=f"adapter-{format_}")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("versturen", total=report.records)
            result = push.push(
                client=client,
                adapter=adapter,
                path=file,
                party=party,
                batch_size=batch_size,
                state_path=state or file.with_name(file.name + ".push-state.json"),
                on_batch=lambda n: progress.advance(task, n),
            )
    except push.PushRefused as exc:
        console.print(f"[red]FAIL:[/] de gateway weigerde: {exc}")
        for error in exc.problem.get("errors", [])[:50]:
            console.print(f"  {error.get('location')}: {error.get('message')}")
        raise typer.Exit(1) from None
    finally:
        client.close()
    table = Table(title=f"{file.name} → {gateway_url}")
    table.add_column("")
    table.add_column("aantal", justify="right")
    rate = result.records / result.elapsed_s if result.elapsed_s else 0.0
    for label, value in (
        ("records", result.records),
        ("opgeslagen", result.stored),
        ("al ontvangen", result.duplicates),
        ("batches verstuurd", result.batches),
        ("batches overgeslagen (hervat)", result.skipped_batches),
        ("herhaalpogingen", result.retries),
        ("signalen per seconde", f"{rate:,.0f}"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    console.print("OK: export verwerkt")
