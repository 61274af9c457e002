"""``gateway policy test|check|schema|simulate``: the privacy officer's tools."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.errors import ConfigurationError

if TYPE_CHECKING:
    from gateway.policy.bundle import PolicySet
    from gateway.policy.simulate import HitFlip, RecordedDecision, ReleaseChange

policy_app = typer.Typer(
    help="Beleid (Rego) testen, controleren en simuleren.", no_args_is_help=True
)
console = Console(stderr=True)
out = Console(soft_wrap=True)
PoliciesOption = Annotated[
    Path | None,
    typer.Option(
        "--policies", help="Beleidsmap (standaard GATEWAY_POLICIES_DIR).", file_okay=False
    ),
]


def _policy_dir(policies: Path | None) -> Path:
    if policies is not None:
        return policies
    from gateway.settings import Settings

    return Settings().policies_dir


def _load(policies: Path | None) -> PolicySet:
    from gateway.policy.bundle import load_policy_set

    try:
        return load_policy_set(_policy_dir(policies))
    except ConfigurationError as exc:
        console.print(f"[red]FAIL:[/] {exc.detail}")
        raise typer.Exit(2) from None


@policy_app.command("test")
def test(policies: PoliciesOption = None) -> None:
    """Draai elke test_-regel in *_test.rego (zoals `opa test`) en toon ongeteste regels."""
    from gateway.policy.testing import run_policy_tests

    policy_set = _load(policies)
    try:
        report = run_policy_tests(policy_set)
    except ConfigurationError as exc:
        console.print(f"[red]FAIL:[/] {exc.detail}")
        raise typer.Exit(1) from None
    for result in report.results:
        status = "OK:  " if result.passed else "FAIL:"
        line = f"{status} {result.file}:{result.line} {result.package}.{result.name}"
        out.print(line + (f" — {result.error}" if result.error else ""), highlight=False)
    for rule in report.uncovered:
        out.print(f"NIET GETEST: {rule.file}:{rule.line} {rule.name}", highlight=False)
    passed = len(report.results) - len(report.failures)
    coverage = f", dekking {report.coverage_percent:.0f}%" if report.coverage_percent else ""
    out.print(
        f"{passed}/{len(report.results)} tests geslaagd, {len(report.uncovered)} regels "
        f"zonder test{coverage}; revisie {policy_set.revision}",
        highlight=False,
    )
    if report.failures or not report.results:
        raise typer.Exit(1)


@policy_app.command("check")
def check(policies: PoliciesOption = None) -> None:
    """Controleer syntax (OPA's eigen meldingen), convenantgegevens en beslispunten."""
    from gateway.policy.testing import check_policy_set

    policy_set = _load(policies)
    problems = check_policy_set(policy_set)
    for problem in problems:
        out.print(f"FAIL: {problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    out.print(f"OK: beleid in orde; revisie {policy_set.revision}", highlight=False)


@policy_app.command("schema")
def schema() -> None:
    """Schrijf het JSON-schema van covenant/data.json (voor de editor) naar stdout."""
    from gateway.policy.covenant_schema import covenant_json_schema_text

    # Plain stdout, not rich: the output is a file (`gateway policy schema > ...`), byte for byte.
    typer.echo(covenant_json_schema_text(), nl=False)


@policy_app.command("simulate")
def simulate(
    policies: Annotated[
        Path, typer.Option("--policies", help="De gewijzigde beleidsmap.", file_okay=False)
    ],
    point: Annotated[str | None, typer.Option(help="Alleen dit beslispunt.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Hoeveel recente beslissingen.")] = 10_000,
    reasons: Annotated[
        bool,
        typer.Option("--reasons", help="Toon ook beslissingen waarvan alleen de redenen wijzigen."),
    ] = False,
) -> None:
    """Herhaal vastgelegde beslissingen met een gewijzigd beleid en toon wat zou omslaan."""
    from sqlalchemy import inspect

    from gateway.policy import simulate as simulation
    from gateway.policy.factory import open_policy_engine
    from gateway.policy.records import replayable
    from gateway.settings import Settings
    from gateway.storage import decisions
    from gateway.storage.database import create_db_engine

    candidate_set = _load(policies)
    settings = Settings()
    candidate = open_policy_engine(candidate_set, kind="embedded")
    current = open_policy_engine(_load(settings.policies_dir), kind="embedded")
    engine = create_db_engine(settings.database_url.get_secret_value())
    replayed = 0

    def counted(records: Iterable[RecordedDecision]) -> Iterator[RecordedDecision]:
        nonlocal replayed
        for record in records:
            replayed += 1
            yield record

    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("policy_decisions"):
                console.print(
                    "[red]FAIL:[/] de database heeft nog geen schema; draai `gateway init`"
                )
                raise typer.Exit(2)
            flips = simulation.simulate(
                counted(replayable(decisions.recorded(connection, point=point, limit=limit))),
                candidate,
                include_reason_changes=reasons,
            )
            judged = 0
            hit_flips: list[HitFlip] = []
            if point in (None, "hits"):
                judged, hit_flips = simulation.hit_flips(
                    replayable(decisions.recorded(connection, point="hits", limit=limit)),
                    current,
                    candidate,
                )
            compared = 0
            release_changes: list[ReleaseChange] = []
            if point in (None, "release"):
                compared, release_changes = simulation.release_changes(
                    replayable(decisions.recorded(connection, point="release", limit=limit)),
                    current,
                    candidate,
                )
    finally:
        candidate.close()
        current.close()
        engine.dispose()
    if flips:
        out.print(
            _table(
                f"Wat zou veranderen met {policies}",
                ("beslispunt", "moment", "nu", "met wijziging", "redenen nu", "redenen straks"),
                (
                    (
                        flip.point,
                        _moment(flip.recorded_at),
                        "toegestaan" if flip.before_allow else "geweigerd",
                        "toegestaan" if flip.after_allow else "geweigerd",
                        "\n".join(
                            f"{r.code}: {r.message} ({r.basis})" for r in flip.before_reasons
                        ),
                        "\n".join(f"{r.code}: {r.message} ({r.basis})" for r in flip.after_reasons),
                    )
                    for flip in flips
                ),
                show_lines=True,
            )
        )
    changed = sum(1 for f in flips if f.allow_changed)
    out.print(
        f"{replayed} beslissingen herhaald; {changed} zouden omslaan"
        f" (revisie {candidate_set.revision})",
        highlight=False,
    )
    _print_hit_flips(judged, hit_flips, policies)
    _print_release_changes(compared, release_changes, policies)


def _print_hit_flips(judged: int, flips: Sequence[HitFlip], policies: Path) -> None:
    """Clusters the change would judge differently from the policy in force
    (GATEWAY_POLICIES_DIR)."""
    if flips:
        out.print(
            _table(
                f"Clusters die anders beoordeeld zouden worden met {policies}",
                (
                    "moment",
                    "signalen",
                    "partners",
                    "nu",
                    "met wijziging",
                    "redenen nu",
                    "redenen straks",
                ),
                (
                    (
                        _moment(flip.recorded_at),
                        str(flip.signals),
                        str(flip.parties),
                        _verdict(flip.before_hit, flip.before_urgent),
                        _verdict(flip.after_hit, flip.after_urgent),
                        ", ".join(flip.before_reasons),
                        ", ".join(flip.after_reasons),
                    )
                    for flip in flips
                ),
            )
        )
    became = sum(1 for f in flips if f.after_hit and not f.before_hit)
    stopped = sum(1 for f in flips if f.before_hit and not f.after_hit)
    out.print(
        f"{judged} clusterbeoordelingen (hits) herhaald; {became} zouden een hit worden, "
        f"{stopped} geen hit meer, {len(flips) - became - stopped} anders urgent",
        highlight=False,
    )


def _print_release_changes(compared: int, changes: Sequence[ReleaseChange], policies: Path) -> None:
    """Recipients of recorded releases that would receive other signals or fields."""
    if changes:
        out.print(
            _table(
                f"Ontvangers die iets anders zouden krijgen met {policies}",
                (
                    "moment",
                    "casus",
                    "ontvanger",
                    "signalen nu",
                    "straks",
                    "velden erbij",
                    "velden eraf",
                ),
                (
                    (
                        _moment(change.recorded_at),
                        change.case,
                        change.participant,
                        str(change.before_signals),
                        str(change.after_signals),
                        ", ".join(change.gained_fields),
                        ", ".join(change.lost_fields),
                    )
                    for change in changes
                ),
            )
        )
    out.print(
        f"{compared} ontvangers van verstrekkingen herhaald; {len(changes)} zouden iets anders "
        "ontvangen",
        highlight=False,
    )


def _table(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *, show_lines: bool = False
) -> Table:
    table = Table(title=title, show_lines=show_lines)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _verdict(hit: bool, urgent: bool) -> str:
    return ("hit, urgent" if urgent else "hit") if hit else "geen hit"
