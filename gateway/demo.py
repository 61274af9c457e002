"""``gateway demo``: the whole flow, from nothing, on embedded defaults, narrated for a newcomer.

Everything is real: a fresh SQLite database and fresh keys in a work directory, the gateway
served over HTTP on a loopback port, a generated region pushed through the partner adapters
(OPRF pseudonyms, HPKE sealing, signed calls), the hits the RIEC sees, a case opened and moved
to the casusoverleg with four-eyes approval, a release, a package opened by a participant with
its own key, and the audit log verified. The server's logs go to ``<workdir>/gateway.log``.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from gateway.auth.tokens import mint_call_token
from gateway.jsontypes import Json, JsonObject
from gateway.parties.keys import load_hpke_private, load_signing_key
from gateway.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

RIEC = "riec-rr"
DIRECTOR_SUB = "regisseur-01"
PRIVACY_SUB = "privacy-07"
VIEWER = "politie-rotterdam"
SHELTER_OFFICER = "gemeente-rotterdam"  # its privacy officer registers the shelter's address


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("de demo-server startte niet")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shareable_care_export(path: Path, out: Path) -> Path:
    """What a care coordinator may export: registrations with the client's consent. Care data
    without consent (or acute danger) is refused by the ingest policy (professional secrecy),
    and a batch is atomic, so the back office filters before pushing."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    kept = [r for r in rows if r["Toestemming"] == "ja"]
    target = out / f"shareable-{path.name}"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(kept)
    return target


class _As(TypedDict):
    """Who a call is made as: the roles and the employee id (``sub``)."""

    roles: list[str]
    sub: str


class _Calls:
    """Signed calls as any party of the demo covenant, with any roles."""

    def __init__(self, base_url: str, private_keys: Path, audience: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=60)
        self._private = private_keys
        self._audience = audience

    def __call__(
        self,
        party: str,
        method: str,
        target: str,
        body: Json = None,
        *,
        roles: list[str],
        sub: str = "demo",
    ) -> JsonObject:
        data = b"" if body is None else json.dumps(body).encode()
        token = mint_call_token(
            key=load_signing_key(self._private, party),
            subject=sub,
            roles=roles,
            audience=self._audience,
            method=method,
            target=target,
            body=data,
            now=datetime.now(UTC),
        )
        headers = {"Authorization": f"Bearer {token}"}
        if data:
            headers["Content-Type"] = "application/json"
        response = self._http.request(method, target, content=data, headers=headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {target}: {response.status_code} {response.text}")
        answer: JsonObject = response.json()
        return answer

    def close(self) -> None:
        self._http.close()


def run_demo(workdir: Path, *, console: Console, seed: int = 2026) -> JsonObject:
    """Run the narrated demo in ``workdir`` (emptied first); returns a summary of what happened."""
    from adapters import push
    from adapters.base import Address
    from adapters.normalise import normalise
    from adapters.registry import get
    from gateway.api.app import create_app
    from gateway.audit import store as audit
    from gateway.bootstrap import create_dev_keys
    from gateway.crypto import b64u
    from gateway.demo_data import generate_region
    from gateway.observability.logs import configure_logging
    from gateway.parties.covenant import load_covenant
    from gateway.release.packages import open_package
    from gateway.runtime import Runtime
    from gateway.storage.database import create_db_engine, migrate
    from gateway.vocabulary import SubjectKind

    started = time.perf_counter()
    step = _Narrator(console, started)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    settings = Settings(
        database_url=SecretStr(f"sqlite:///{workdir / 'gateway.db'}"),
        keys_dir=workdir / "keys",
        private_keys_dir=workdir / "private-keys",
    )

    step(
        "1. Opzetten",
        "Een lege database (SQLite) en voor elke partner van het demo-convenant een "
        "ondertekeningssleutel en een sleutel om pakketten mee te openen.",
    )
    covenant = load_covenant(settings.policies_dir)
    create_dev_keys(
        covenant=covenant, keys_dir=settings.keys_dir, private_keys_dir=settings.private_keys_dir
    )
    engine = create_db_engine(settings.database_url.get_secret_value())
    migrate(engine)
    log_file = (workdir / "gateway.log").open("w", encoding="utf-8")
    configure_logging(level="INFO", stream=log_file)
    rt = Runtime.build(settings, engine=engine)
    console.print(f"   {len(covenant.parties)} partners, beleidsrevisie {rt.policy.revision[:19]}…")

    step(
        "2. Een regio genereren",
        "Synthetische exports van elke partner, met geplante patronen van uitbuiting en ruis.",
    )
    region = workdir / "regio"
    region.mkdir()
    truth = generate_region(region, seed=seed, size="small")
    manifest = json.loads((region / "manifest.json").read_text("utf-8"))
    console.print(f"   {sum(e['records'] for e in manifest)} records bij {len(manifest)} partners")

    summary: JsonObject = {"patterns": len(truth.patterns)}
    with serving(create_app(rt)) as url:
        calls = _Calls(url, settings.private_keys_dir, covenant.gateway_id)
        try:
            step(
                "2b. Een bekende opvang registreren",
                "De privacy officer van de gemeente kent het adres van de opvang. Zijn client "
                "maakt er een pseudoniem van zoals een adapter dat doet (OPRF: de gateway ziet "
                "het adres niet) en zet het in het register van adressen die nooit koppelen.",
            )
            officer = push.GatewayClient(
                base_url=url, key=load_signing_key(settings.private_keys_dir, SHELTER_OFFICER)
            )
            try:
                element = normalise(SubjectKind.ADRES, Address(**truth.hub.address))
                shelter = push.PseudonymCache().resolve(officer, {element})[element]
            finally:
                officer.close()
            registered = calls(
                SHELTER_OFFICER,
                "POST",
                "/v1/hubs/register",
                {
                    "pseudonym": b64u(shelter),
                    "kind": "adres",
                    "reason": "opvang",
                    "expires": (rt.clock().date() + timedelta(days=365)).isoformat(),
                },
                roles=["privacy_officer"],
            )
            entry = registered["entry"]
            console.print(f"   {entry['id']}: opvang, adres (geldig tot {entry['expires_at']})")

            step(
                "3. Aanleveren via de adapters",
                "Elke partner leest zijn export, maakt pseudoniemen (OPRF: de gateway ziet "
                "geen BSN of naam), verzegelt de details (HPKE) en stuurt ondertekend.",
            )
            stored = 0
            for entry in manifest:
                path = region / entry["file"]
                if entry["format"] == "zorg-csv":
                    path = shareable_care_export(path, region)
                client = push.GatewayClient(
                    base_url=url, key=load_signing_key(settings.private_keys_dir, entry["party"])
                )
                try:
                    report = push.push(
                        client=client,
                        adapter=get(entry["format"]),
                        path=path,
                        party=entry["party"],
                        batch_size=200,
                    )
                finally:
                    client.close()
                stored += report.stored
                console.print(f"   {entry['party']:<28} {report.stored:>4} signalen")
            summary["signals"] = stored

            hubs = calls(RIEC, "GET", "/v1/hubs", roles=["analist"])["hubs"]
            by_reason: dict[str, int] = {}
            for hub in hubs:
                by_reason[str(hub.get("reason"))] = by_reason.get(str(hub.get("reason")), 0) + 1
            console.print(
                "   knooppunten die niet koppelen: "
                + ", ".join(f"{n} ({reason})" for reason, n in sorted(by_reason.items()))
            )
            for hub in hubs:
                if hub.get("reason") == "register":
                    console.print(
                        f"   de geregistreerde opvang staat in {hub['signals']} signalen en "
                        "koppelt geen ervan aan elkaar"
                    )
            summary["hubs"] = len(hubs)

            step(
                "4. Hits voor het RIEC",
                "Signalen die pseudoniemen delen zijn gekoppeld; het hitbeleid zegt welke "
                "clusters een hit zijn. Het RIEC ziet soorten en aantallen, geen personen.",
            )
            hits = calls(RIEC, "GET", "/v1/hits?limit=200", roles=["analist"])["hits"]
            table = Table("hit", "signalen", "partners", "partnertypen", "urgent")
            for hit in hits[:8]:
                table.add_row(
                    hit["id"],
                    str(hit["signals"]),
                    str(hit["parties"]),
                    ", ".join(hit["party_types"]),
                    "ja" if hit["urgent"] else "",
                )
            console.print(table)
            chosen = max(hits, key=lambda h: (h["parties"], h["signals"]))
            network = calls(RIEC, "GET", f"/v1/hits/{chosen['id']}/network", roles=["analist"])
            console.print(
                f"   Netwerk van {chosen['id']}: {network['counts']['subjects']} betrokkenen, "
                f"{network['counts']['signals']} signalen, "
                f"{network['counts']['hubs']} knooppunt(en)"
            )
            summary["hits"] = len(hits)

            step(
                "5. Een casus openen en voorbereiden",
                "De casusregisseur van het RIEC opent een casus met doel en deelnemers; elke "
                "stap vraagt het casusbeleid en komt in het auditlogboek.",
            )
            participants = [
                "gemeente-rotterdam",
                "politie-rotterdam",
                "arbeidsinspectie",
                "woningcorporatie-maasoever",
                "gemeente-alblasserdam",
            ]
            director: _As = {"roles": ["casusregisseur"], "sub": DIRECTOR_SUB}
            case = calls(
                RIEC,
                "POST",
                "/v1/cases",
                {"hit": chosen["id"], "purpose": "ketenaanpak", "participants": participants},
                **director,
            )
            case_id = case["id"]
            # The case file: the director takes the people of the network along, not the hubs
            # (a hub links nobody), and sees which signals hang on by one single key only.
            network = calls(RIEC, "GET", f"/v1/cases/{case_id}/network", **director)
            people = [n["id"] for n in network["nodes"] if not n["hub"]]
            weak = sum(1 for e in network["edges"] if e["joined_by"].startswith("een-sleutel"))
            built = calls(
                RIEC,
                "POST",
                f"/v1/cases/{case_id}/file",
                {"reason": "betrokkene_casus", "add_subjects": people},
                **director,
            )
            console.print(
                f"   casusdossier: {built['subjects_added']} betrokkenen en "
                f"{built['signals_added']} signalen uit een netwerk van "
                f"{network['counts']['signals']} signalen ({weak} hangen aan één sleutel)"
            )
            calls(RIEC, "POST", f"/v1/cases/{case_id}/transitions", {"to": "weging"}, **director)
            console.print(f"   {case_id}: dossiervorming → weging")

            step(
                "6. Vier ogen",
                "De casusregisseur en een privacy officer keuren de verstrekking goed: twee "
                "verschillende mensen, anders weigert het beleid.",
            )
            approvals = f"/v1/cases/{case_id}/approvals"
            calls(RIEC, "POST", approvals, {"role": "casusregisseur"}, **director)
            calls(
                RIEC,
                "POST",
                approvals,
                {"role": "privacy_officer"},
                roles=["privacy_officer"],
                sub=PRIVACY_SUB,
            )
            calls(
                RIEC, "POST", f"/v1/cases/{case_id}/transitions", {"to": "casusoverleg"}, **director
            )
            console.print("   goedgekeurd; weging → casusoverleg")

            step(
                "6b. Een embargo van het OM",
                "Het OM onderzoekt één van de personen (heimelijke fase). Met het kenmerk dat de "
                "casus hem geeft, legt het OM een embargo op die persoon: elk signaal over hem, "
                "van welke partner ook, gaat alleen naar politie en OM. Het pseudoniem ziet het "
                "OM niet.",
            )
            persons = [n for n in network["nodes"] if n["kind"] == "persoon" and not n["hub"]]
            suspect = max(persons, key=lambda n: (n["signals"], n["id"]))
            until = (rt.clock().date() + timedelta(days=90)).isoformat()
            embargo = calls(
                "om-rotterdam",
                "POST",
                "/v1/embargoes",
                {
                    "target": {"kind": "case_subject", "case": case_id, "handle": suspect["id"]},
                    "until": until,
                    "reason": "heimelijke_fase",
                },
                roles=["deelnemer"],
            )
            console.print(f"   {embargo['id']} tot en met {until} op persoon {suspect['id']}")

            step(
                "7. Verstrekken aan het casusoverleg",
                "Het verstrekkingsbeleid zegt per deelnemer welke signalen en velden; de "
                "gateway opent alleen die, en verzegelt per deelnemer een pakket.",
            )
            release = calls(RIEC, "POST", f"/v1/cases/{case_id}/release", {}, **director)
            table = Table("deelnemer", "pakket", "signalen", "achtergehouden", "redenen")
            for party, entry in sorted(release["recipients"].items()):
                codes = sorted({r["code"] for w in entry["withheld"] for r in w["reasons"]})
                table.add_row(
                    party,
                    entry["package"] or "-",
                    str(len(entry["released"])),
                    str(len(entry["withheld"])),
                    ", ".join(codes[:3]),
                )
            console.print(table)
            summary["packages"] = sum(1 for e in release["recipients"].values() if e["package"])

            step(
                "7b. Het embargo wordt opgeheven: opnieuw verstrekken",
                "Dezelfde vraag zonder nieuwe feiten geeft dezelfde verstrekking. Het OM heft het "
                "embargo op (aanhouding verricht); nu volgt verstrekking 2, die de pakketten van "
                "de eerste vervangt.",
            )
            again = calls(RIEC, "POST", f"/v1/cases/{case_id}/release", {}, **director)
            calls(
                "om-rotterdam",
                "POST",
                f"/v1/embargoes/{embargo['id']}/lift",
                {},
                roles=["deelnemer"],
            )
            second = calls(RIEC, "POST", f"/v1/cases/{case_id}/release", {}, **director)
            changes = ", ".join(c["code"] for c in second["changes"])
            console.print(
                f"   zelfde vraag: verstrekking {again['number']} "
                f"(bestond al: {again['existing']}); "
                f"nieuw: verstrekking {second['number']}, na {second['predecessor']} ({changes})"
            )
            listed = calls(VIEWER, "GET", "/v1/packages", roles=["deelnemer"])["packages"]
            for entry in listed:
                console.print(
                    f"   {VIEWER}: {entry['id']} van {entry['release']}: {entry['status']}"
                )
            summary["releases"] = second["number"]
            release = second

            step(
                "8. Een pakket openen als deelnemer",
                f"{VIEWER} haalt zijn pakket op en opent het met zijn eigen sleutel "
                "(`gateway package open`). Alleen hier staan persoonsgegevens leesbaar.",
            )
            package_id = release["recipients"][VIEWER]["package"]
            envelope = calls(VIEWER, "GET", f"/v1/packages/{package_id}", roles=["deelnemer"])
            document = open_package(
                envelope, private_keys=load_hpke_private(settings.private_keys_dir, VIEWER)
            )
            from gateway.cli.package import records_table

            console.print(records_table(document, limit=4))
            summary["records_opened"] = len(document["records"])
        finally:
            calls.close()

    step("9. Het auditlogboek controleren", "Elke stap staat erin; de hash-keten klopt.")
    with engine.connect() as connection:
        entries = audit.verify(connection)
    console.print(f"   {entries} regels, keten in orde")
    summary["audit_entries"] = entries
    rt.policy.close()
    engine.dispose()
    log_file.close()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    console.print(f"\nKlaar in {summary['seconds']} s. Werkmap: {workdir}")
    return summary


class _Narrator:
    def __init__(self, console: Console, started: float) -> None:
        self._console = console
        self._started = started

    def __call__(self, title: str, text: str) -> None:
        elapsed = time.perf_counter() - self._started
        self._console.print(f"\n[bold]{title}[/] [dim]({elapsed:.1f} s)[/]")
        self._console.print(f"   {text}")
