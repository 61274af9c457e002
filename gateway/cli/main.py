"""``gateway``: init, serve, audit verify. Validates its inputs before doing any work and calls
the same services as the API."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from gateway.cli.adapter import adapter_app
from gateway.cli.package import package_app
from gateway.cli.policy import policy_app
from gateway.errors import ConfigurationError
from gateway.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from gateway.audit.checkpoint import Checkpoint
    from gateway.crypto.signing import Ed25519PrivateKey, Ed25519PublicKey
    from gateway.runtime import Runtime

T = TypeVar("T")

app = typer.Typer(
    help="Gateway voor het delen van signalen mensenhandel binnen een convenant.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(help="Het auditlogboek.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
keyholder_app = typer.Typer(
    help="De sleutelhouder voor pseudoniemen als eigen proces.", no_args_is_help=True
)
app.add_typer(keyholder_app, name="keyholder")
retention_app = typer.Typer(help="Bewaartermijnen (Convenant art. 15).", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
keys_app = typer.Typer(
    help="De vrijgavesleutels van de gateway (per periode; docs/sealing.md).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
linkage_app = typer.Typer(help="Koppelen van signalen.", no_args_is_help=True)
app.add_typer(linkage_app, name="linkage")
app.add_typer(adapter_app, name="adapter")
app.add_typer(policy_app, name="policy")
app.add_typer(package_app, name="package")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic names the variable and the problem
        console.print(f"[red]FAIL:[/] configuratie: {exc}")
        raise typer.Exit(2) from None


def _fail(exc: ConfigurationError) -> typer.Exit:
    console.print(f"[red]FAIL:[/] {exc.detail}")
    return typer.Exit(2)


def _with_runtime(action: Callable[[Runtime], T]) -> T:
    """Build the runtime from the environment and run ``action`` on it; a configuration problem
    is one FAIL line and exit code 2."""
    from gateway.runtime import Runtime

    try:
        return action(Runtime.build(_settings()))
    except ConfigurationError as exc:
        raise _fail(exc) from None


@app.command()
def init(
    force_keys: Annotated[
        bool,
        typer.Option(
            "--force-keys", help="Vervang bestaande dev-sleutels (oude worden onbruikbaar)."
        ),
    ] = False,
) -> None:
    """Maak dev-sleutels voor elke partij van het democonvenant en de database aan (idempotent)."""
    from gateway.bootstrap import create_dev_keys
    from gateway.parties.covenant import load_covenant
    from gateway.signals.reference import load_catalogue
    from gateway.storage.database import create_db_engine, migrate

    settings = _settings()
    try:
        covenant = load_covenant(settings.policies_dir)
        catalogue = load_catalogue(settings.policies_dir)
    except ConfigurationError as exc:
        raise _fail(exc) from None
    created = create_dev_keys(
        covenant=covenant,
        keys_dir=settings.keys_dir,
        private_keys_dir=settings.private_keys_dir,
        overwrite=force_keys,
    )
    engine = create_db_engine(settings.database_url.get_secret_value())
    migrate(engine)
    engine.dispose()
    table = Table(title=f"{covenant.name}", show_lines=False)
    for column in ("partij", "type", "convenant", "rollen", "sleutels"):
        table.add_column(column)
    for party in covenant.parties.values():
        table.add_row(
            party.id,
            party.type.value,
            "ja" if party.signatory else "nee",
            ", ".join(sorted(r.value for r in party.roles)),
            "nieuw" if party.id in created else "bestaand",
        )
    console.print(table)
    console.print(
        f"OK: sleutels in {settings.keys_dir} (publiek) en {settings.private_keys_dir} (privé)"
    )
    console.print(f"OK: database bijgewerkt; indicatorcatalogus versie {catalogue.version}")


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket for ``serve``, bound here rather than inside uvicorn: a busy port is
    then one readable line naming host and port, not uvicorn's exit after an English OSError, and
    no other process can take the port between a check and the bind. SO_REUSEADDR as asyncio sets
    it, so a port left in TIME_WAIT by the previous run is not reported as busy."""
    import errno

    from rich.markup import escape

    where = escape(f"{host}:{port}")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if isinstance(exc, socket.gaierror):
            reason = f"kan niet luisteren op {where}: onbekende host (GATEWAY_HOST)"
        else:
            reason = {
                errno.EADDRINUSE: f"poort {port} op {escape(host)} is al in gebruik (draait de "
                "gateway al?); stop dat proces of kies een andere poort met GATEWAY_PORT",
                errno.EACCES: f"kan niet luisteren op {where}: geen toestemming (poorten onder "
                "1024 vragen extra rechten); kies een andere poort met GATEWAY_PORT",
                errno.EADDRNOTAVAIL: f"kan niet luisteren op {where}: dat adres hoort niet bij "
                "deze machine (GATEWAY_HOST)",
            }.get(exc.errno or 0, f"kan niet luisteren op {where}: systeemfout {exc.errno}")
        # soft_wrap: one line however narrow the terminal, so it can be grepped and read whole.
        console.print(f"[red]FAIL:[/] {reason}", soft_wrap=True)
        raise typer.Exit(1) from None
    return sock


@app.command()
def serve() -> None:
    """Start de API met uvicorn op GATEWAY_HOST:GATEWAY_PORT."""
    from gateway.observability.logs import configure_logging

    settings = _settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    # First the port: a busy one is reported before any other work is done.
    sock = _listen(settings.host, settings.port)
    try:
        _serve_on(sock, settings)
    finally:
        sock.close()


def _serve_on(sock: socket.socket, settings: Settings) -> None:
    """Everything of ``serve`` after the socket is bound; the caller closes the socket."""
    import uvicorn

    from gateway.api.app import create_app
    from gateway.observability.logs import get_logger
    from gateway.policy.goruntime import RECOMMENDED_GOGC, effective_gogc
    from gateway.runtime import Runtime
    from gateway.storage.database import migrate

    try:
        rt = Runtime.build(settings)
    except ConfigurationError as exc:
        raise _fail(exc) from None
    migrate(rt.engine)
    stop = threading.Event()
    if settings.policy_reload_s > 0:
        from gateway.policy.reload import PolicyReloader
        from gateway.runtime import open_policy_engine_for

        reloader = PolicyReloader(
            rt,
            directory=settings.policies_dir,
            open_engine=open_policy_engine_for(settings),
            engine=rt.engine,
            clock=rt.clock,
        )
        threading.Thread(
            target=reloader.run, args=(settings.policy_reload_s, stop), daemon=True
        ).start()
    if settings.stats_catchup_s > 0:
        from gateway.storage.stats import run_catch_up

        threading.Thread(
            target=run_catch_up,
            kwargs={
                "engine": rt.engine,
                "barriers": {code: b.value for code, b in rt.catalogue.barriers.items()},
                "interval_s": settings.stats_catchup_s,
                "stop": stop,
                "on_error": lambda exc: get_logger("gateway.stats").error(
                    "stats.catch_up_failed", problem=exc.__class__.__name__
                ),
            },
            daemon=True,
        ).start()
    threading.Thread(
        target=rt.audit_checkpoints.run,
        kwargs={
            "stop": stop,
            "on_error": lambda exc: get_logger("gateway.audit").error(
                "audit.checkpoint_failed", problem=exc.__class__.__name__
            ),
        },
        daemon=True,
    ).start()
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}"
    console.print(
        f"OK: gateway {rt.covenant.gateway_id} luistert op {url}",
        "(Ctrl-C om te stoppen; health: /readyz, API: /docs)",
        markup=False,
    )
    get_logger("gateway").info(
        "gateway.starting",
        host=settings.host,
        port=settings.port,
        parties=len(rt.covenant.parties),
        database="sqlite" if settings.is_sqlite else "postgresql",
        policy_engine=settings.policy_engine,
        gogc=effective_gogc(),
    )
    if settings.policy_engine == "embedded" and effective_gogc() != RECOMMENDED_GOGC:
        get_logger("gateway").warning(
            "gateway.gogc_not_recommended",
            gogc=effective_gogc(),
            recommended_gogc=RECOMMENDED_GOGC,
        )
    # uvicorn logs no address of its own for a socket it is handed: this line says it.
    get_logger("gateway").info("gateway.listening", host=settings.host, port=settings.port, url=url)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(rt),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
        )
    )
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
    if not server.started:  # the application did not start (uvicorn has logged why)
        raise typer.Exit(3)


@audit_app.command("verify")
def audit_verify(
    checkpoint_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="Een eerder uitgegeven checkpoint (bijvoorbeeld door een partner bewaard): "
            "klopt het nog met het logboek? Mag vaker gegeven worden.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Controleer het auditlogboek van begin tot eind: de hash-keten, elke opgeslagen kolom
    tegen de gehashte regel, elke knoop van de Merkle-boom, elk opgeslagen ondertekend checkpoint,
    en desgewenst eerder uitgegeven checkpoints."""
    from gateway.audit import checkpoint, store
    from gateway.audit.chain import AuditChainBroken
    from gateway.storage.database import create_db_engine

    settings = _settings()
    files = checkpoint_files or []
    engine = create_db_engine(settings.database_url.get_secret_value())
    saved: list[tuple[Path, checkpoint.Checkpoint]] = []
    try:
        with engine.connect() as connection:
            count = store.verify(connection)
            nodes = store.verify_tree(connection)
            sizes: list[int] = []
            if files or store.checkpoint_count(connection):
                origin, public_key, _ = _audit_identity(settings)

                def read(note: str) -> checkpoint.Checkpoint:
                    text = checkpoint.open_note(note, origin, public_key)
                    return checkpoint.parse(text, origin=origin)

                sizes = store.verify_checkpoints(connection, read)
                for path in files:
                    try:
                        point = read(path.read_text("utf-8"))
                    except (checkpoint.NoteError, UnicodeDecodeError) as exc:
                        console.print(f"[red]FAIL:[/] {path}: {exc}")
                        raise typer.Exit(1) from None
                    _check_saved(connection, path, point, count, sizes)
                    saved.append((path, point))
    except AuditChainBroken as exc:
        console.print(f"[red]FAIL:[/] auditregel {exc.seq}: {exc.reason}")
        raise typer.Exit(1) from None
    console.print(
        f"OK: {count} auditregels, keten en kolommen intact, {nodes} Merkle-knopen kloppen, "
        f"{len(sizes)} opgeslagen checkpoints kloppen"
    )
    for path, point in saved:
        console.print(f"OK: checkpoint {path} ({point.size} regels) klopt met het logboek")


def _check_saved(
    connection: Connection,
    path: Path,
    point: Checkpoint,
    count: int,
    stored_sizes: list[int],
) -> None:
    """A checkpoint someone kept against the log: the log still has its entries (no tail cut
    off) and their root (no history rewritten). The first entry named is where the damage can
    start: after the log's end, or after the last stored checkpoint below it that still holds."""
    from gateway.audit import store

    if point.size > count:
        console.print(
            f"[red]FAIL:[/] auditregel {count + 1}: {path} ondertekent {point.size} regels, het "
            f"logboek heeft er {count}: regels {count + 1} tot en met {point.size} ontbreken "
            "(staart afgekapt)"
        )
        raise typer.Exit(1)
    if store.root(connection, point.size) != point.root:
        first = max((s for s in stored_sizes if s < point.size), default=0) + 1
        console.print(
            f"[red]FAIL:[/] auditregel {first}: {path}: het logboek van {point.size} regels heeft "
            "niet de wortel die het checkpoint noemt (geschiedenis herschreven, ergens in regels "
            f"{first} tot en met {point.size})"
        )
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Druk het ondertekende checkpoint van het auditlogboek af (C2SP signed note)."""
    from gateway.audit import checkpoint, store
    from gateway.storage.database import create_db_engine

    settings = _settings()
    origin, _, signer = _audit_identity(settings)
    engine = create_db_engine(settings.database_url.get_secret_value())
    with engine.connect() as connection:
        size = store.tree_size(connection)
        root = store.root(connection, size)
    text = checkpoint.Checkpoint(origin, size, root).text()
    sys.stdout.write(checkpoint.sign(text, origin, signer()))


def _audit_identity(
    settings: Settings,
) -> tuple[str, Ed25519PublicKey, Callable[[], Ed25519PrivateKey]]:
    """(origin, public key, signer loader) of the audit log: covenant and keys only."""
    from gateway.parties.covenant import load_covenant
    from gateway.runtime import audit_origin, audit_public_key, audit_signer, gateway_public_keys

    try:
        covenant = load_covenant(settings.policies_dir)
        public_key = audit_public_key(gateway_public_keys(settings, covenant))
    except ConfigurationError as exc:
        raise _fail(exc) from None

    def signer() -> Ed25519PrivateKey:
        try:
            return audit_signer(settings.private_keys_dir, covenant.gateway_id)
        except ConfigurationError as exc:
            raise _fail(exc) from None

    return audit_origin(covenant.gateway_id), public_key, signer


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Werkmap voor database, sleutels en regio (wordt geleegd).")
    ] = Path("var/demo"),
) -> None:
    """De hele keten in een minuut, verteld: opzetten, aanleveren, hits, casus, vier ogen,
    verstrekken, een pakket openen, het auditlogboek controleren."""
    from gateway.demo import run_demo

    try:
        run_demo(workdir, console=Console())
    except ConfigurationError as exc:
        raise _fail(exc) from None


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Alleen tellen wat zou verlopen; niets wissen.")
    ] = False,
) -> None:
    """Wis signalen die langer dan de bewaartermijn geleden zijn waargenomen, toets de clusters
    en hits die daardoor veranderen opnieuw, en wis vastgelegde beslissingen na hun termijn."""
    from gateway.retention import run_retention

    report = _with_runtime(lambda rt: run_retention(rt, dry_run=dry_run))
    verb = "zouden verlopen" if report.dry_run else "gewist"
    console.print(
        f"OK: {report.due} signalen waargenomen voor {report.cutoff.date().isoformat()} {verb}"
        + (
            ""
            if report.dry_run
            else f" ({report.deleted_rows} versies); {report.clusters_changed} clusters "
            f"opnieuw getoetst, {report.hits_lapsed} hits vervallen"
        )
    )
    if report.decisions_cutoff is None:
        console.print("OK: vastgelegde beslissingen bewaard (geen retention.decision_record_days)")
    else:
        console.print(
            f"OK: {report.decisions} vastgelegde beslissingen van voor "
            f"{report.decisions_cutoff.date().isoformat()} {verb}"
        )
    keys = report.keys
    if keys.rotation_due:
        console.print(
            "OK: vrijgavesleutel "
            + ("zou worden vernieuwd" if report.dry_run else f"vernieuwd (kid {keys.rotated})")
        )
    if keys.shredded:
        console.print(
            f"OK: {len(keys.shredded)} uitgediende vrijgavesleutel(s) "
            + ("zouden worden vernietigd: " if report.dry_run else "vernietigd: ")
            + ", ".join(keys.shredded)
            + (
                f"; {keys.resealed} signaalversie(s) in een casus eerst opnieuw verzegeld aan de "
                "huidige sleutel"
                if keys.resealed
                else ""
            )
        )
    if keys.kept:
        console.print(
            f"OK: {len(keys.kept)} uitgediende vrijgavesleutel(s) bewaard: er zijn nog signalen "
            "aan verzegeld die binnen hun bewaartermijn vallen: " + ", ".join(keys.kept)
        )


@linkage_app.command("rebuild")
def linkage_rebuild(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Alleen laten zien wat zou veranderen; niets opslaan."),
    ] = False,
) -> None:
    """Breng de opgeslagen koppelingen in lijn met de koppelregels die nu gelden
    (data.covenant.linkage: link_kinds, hub_threshold) en toets de clusters die veranderen
    opnieuw op hits. Draai dit na elke wijziging van die regels."""
    from gateway.linkage.rebuild import rebuild_linkage

    report = _with_runtime(lambda rt: rebuild_linkage(rt, dry_run=dry_run))
    verb = "zouden veranderen" if report.dry_run else "veranderd"
    console.print(
        f"OK: {report.clusters_changed} clusters {verb} ({report.split} afgesplitst, "
        f"{report.merged} samengevoegd), {report.new_hubs} nieuwe knooppunten; hits: "
        f"{report.hits_new} nieuw, {report.hits_lapsed} vervallen"
    )


@keys_app.command("list")
def keys_list() -> None:
    """De vrijgavesleutels van de gateway: sinds wanneer, huidig of uitgediend, en hoeveel
    opgeslagen signalen eraan verzegeld zijn."""
    from gateway.parties.release_keys import BEGINNING
    from gateway.storage.signals import sealed_to

    rt, states = _with_runtime(lambda rt: (rt, rt.release_keys.states(rt.clock())))
    table = Table("geldig vanaf", "status", "signalen")
    # The whole kid, folded if the terminal is narrow: an operator compares it with the audit log.
    table.add_column("kid", overflow="fold")
    with rt.engine.connect() as connection:
        for state in states:
            since = state.key.not_before
            status = (
                "huidig"
                if state.retired_at is None
                else f"uitgediend {state.retired_at.date().isoformat()}"
            )
            table.add_row(
                "vanouds" if since == BEGINNING else since.isoformat(timespec="seconds"),
                status,
                str(sealed_to(connection, state.key.kid)),
                state.key.kid,
            )
    console.print(table)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Maak nu een nieuwe vrijgavesleutel (bijvoorbeeld na een vermoed lek); adapters verzegelen
    vanaf nu daaraan. De vorige wordt vernietigd zodra er niets meer aan verzegeld is."""
    from gateway.retention import rotate_release_key

    key = _with_runtime(lambda rt: rotate_release_key(rt, reason="manual"))
    console.print(
        f"OK: nieuwe vrijgavesleutel {key.kid}, geldig vanaf {key.not_before.isoformat()}"
    )


@keyholder_app.command("serve")
def keyholder_serve(
    host: Annotated[
        str, typer.Option(help="Adres; houd dit op loopback of een privénetwerk.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Poort.")] = 8081,
) -> None:
    """Start de sleutelhouder (alleen de OPRF-hoofdsleutel; geen database, geen signalen)."""
    import uvicorn

    from gateway.observability.logs import configure_logging
    from gateway.parties.covenant import load_covenant
    from gateway.pseudonyms.keyholder import LocalKeyHolder, load_master_seed
    from gateway.pseudonyms.keyholder_app import create_keyholder_app

    settings = _settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if settings.keyholder_token is None:
        console.print("[red]FAIL:[/] GATEWAY_KEYHOLDER_TOKEN is verplicht")
        raise typer.Exit(2)
    try:
        covenant = load_covenant(settings.policies_dir)
        seed = load_master_seed(settings.private_keys_dir / covenant.gateway_id)
    except ConfigurationError as exc:
        raise _fail(exc) from None
    holder = LocalKeyHolder(seed=seed, domains=[covenant.pseudonym_domain])
    app_ = create_keyholder_app(holder, token=settings.keyholder_token.get_secret_value())
    uvicorn.run(app_, host=host, port=port, log_config=None, access_log=False)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="Map voor de exports en ground_truth.json.")] = Path(
        "var/demo-region"
    ),
    seed: Annotated[int, typer.Option(help="Zelfde seed, zelfde bestanden.")] = 2026,
    size: Annotated[str, typer.Option(help="small, medium of large.")] = "small",
    force: Annotated[bool, typer.Option("--force", help="Overschrijf een bestaande map.")] = False,
) -> None:
    """Genereer een synthetische regio: exports per partner met ingeplante patronen."""
    from gateway.demo_data import generate_region

    if out.exists() and any(out.iterdir()) and not force:
        console.print(f"[red]FAIL:[/] {out} bestaat al; gebruik --force om te overschrijven")
        raise typer.Exit(2)
    truth = generate_region(out, seed=seed, size=size)
    console.print(f"OK: regio geschreven naar {out} ({len(truth.patterns)} patronen)")
