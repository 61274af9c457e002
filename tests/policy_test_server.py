"""An OPA-REST-compatible test server that evaluates with the embedded engine, plus the stand-in
policy set the policy tests and ``bench/policy.py`` use.

There is no OPA binary on these machines, so the ``opa`` backend is tested against
this server: FastAPI + uvicorn on loopback, in a thread, implementing the part of OPA's REST API
that :class:`gateway.policy.opa_server.OpaServerEngine` uses, with OPA's response shapes:

- ``PUT /v1/policies/{id}`` (Rego text; 200 ``{}``; 400 ``{"code": "invalid_parameter",
  "message": ..., "errors": [{"code", "message", "location": {"file", "row", "col"}}]}`` when a
  module does not parse or the modules do not compile together), ``GET /v1/policies``,
  ``GET /v1/policies/{id}`` (``{"result": {"id", "raw"}}``; no ``ast``), ``DELETE
  /v1/policies/{id}`` (404 ``resource_not_found`` when absent);
- ``PUT /v1/data[/{path}]`` (204; replaces the document there), ``GET /v1/data[/{path}]`` and
  ``POST /v1/data[/{path}]`` with ``{"input": ...}``: 200 ``{"result": ...}``, or 200 ``{}``
  without ``result`` when the document is undefined; 500 ``internal_error`` with OPA's message
  when evaluation fails;
- ``GET /health``: 200 ``{}``.

Evaluation is OPA's own Go engine (``opa_bindings``), rebuilt from all modules and data after
every change, so a decision here is exactly an embedded decision; the bindings always treat a
failing built-in as an error, which matches OPA's ``strict-builtin-errors=true`` (the parameter
the backend sends). Knobs for fault tests: :attr:`OpaTestServer.delay_s` delays every answer,
:meth:`OpaTestServer.stop` takes the server away mid-test, and :attr:`OpaTestServer.fail_with`
makes evaluation raise.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from gateway.policy.diagnostics import parse_opa_message
from gateway.policy.embedded import opa_bindings_module

REPO = Path(__file__).resolve().parents[1]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


class _Refused(Exception):
    """OPA would answer 400 with these errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = [d.as_rest_error() for d in parse_opa_message(message)]


class OpaTestServer:
    """State and app of one server: modules by id, the data document, the current engine."""

    def __init__(self) -> None:
        self._bindings = opa_bindings_module()
        self._lock = threading.Lock()
        self.modules: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self._engine = self._build(self.modules, self.data)
        self.delay_s = 0.0
        self.fail_with: Exception | None = None
        self.requests = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- engine --------------------------------------------------------------------------------

    def _build(self, modules: dict[str, str], data: dict[str, Any]) -> Any:
        """A fresh engine with every module and the data; refuse what OPA would refuse."""
        engine = self._bindings.OpaEngine()
        engine.print_handler = lambda message, location: None
        try:
            for module_id in sorted(modules):
                engine.add_policy(module_id, modules[module_id])
            engine.add_data(data)
            engine.eval_query("true")
        except self._bindings.OpaError as exc:
            engine.close()
            raise _Refused(exc.message) from None
        return engine

    def _replace(self, modules: dict[str, str], data: dict[str, Any]) -> None:
        engine = self._build(modules, data)
        # The old engine is left to the garbage collector: a request may still be evaluating on it.
        self.modules, self.data, self._engine = modules, data, engine

    def _evaluate(self, segments: list[str], input: Any, has_input: bool) -> Response:
        if self.fail_with is not None:
            raise self.fail_with
        engine = self._engine
        try:
            if all(_IDENT.match(s) for s in segments):
                value = engine.eval_document(".".join(segments), input if has_input else None)
            else:
                ref = "data" + "".join(f"[{json.dumps(s)}]" for s in segments)
                rows = engine.eval_query(f"x := {ref}", input if has_input else None)
                if not rows:
                    raise self._bindings.OpaUndefinedError(ref)
                value = rows[0]["x"]
        except self._bindings.OpaUndefinedError:
            return _json({})
        except self._bindings.OpaError as exc:
            return _json({"code": "internal_error", "message": exc.message}, 500)
        return _json({"result": value})

    # -- app -----------------------------------------------------------------------------------

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/health")
        def health() -> Response:
            return _json({})

        @app.get("/v1/policies")
        def list_policies() -> Response:
            return _json({"result": [{"id": i, "raw": r} for i, r in sorted(self.modules.items())]})

        @app.get("/v1/policies/{module_id:path}")
        def get_policy(module_id: str) -> Response:
            if module_id not in self.modules:
                return _not_found(module_id)
            return _json({"result": {"id": module_id, "raw": self.modules[module_id]}})

        @app.put("/v1/policies/{module_id:path}")
        async def put_policy(module_id: str, request: Request) -> Response:
            source = (await request.body()).decode("utf-8")
            return await run_in_threadpool(self._put_policy, module_id, source)

        @app.delete("/v1/policies/{module_id:path}")
        def delete_policy(module_id: str) -> Response:
            with self._lock:
                if module_id not in self.modules:
                    return _not_found(module_id)
                modules = {k: v for k, v in self.modules.items() if k != module_id}
                try:
                    self._replace(modules, self.data)
                except _Refused as exc:
                    return _invalid(exc)
            return _json({})

        @app.put("/v1/data")
        @app.put("/v1/data/{path:path}")
        async def put_data(request: Request, path: str = "") -> Response:
            try:
                value = json.loads(await request.body())
            except ValueError as exc:
                return _json({"code": "invalid_parameter", "message": str(exc)}, 400)
            return await run_in_threadpool(self._put_data, _segments(path), value)

        @app.get("/v1/data")
        @app.get("/v1/data/{path:path}")
        async def get_data(path: str = "") -> Response:
            return await run_in_threadpool(self._evaluate, _segments(path), None, False)

        @app.post("/v1/data")
        @app.post("/v1/data/{path:path}")
        async def post_data(request: Request, path: str = "") -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError as exc:
                return _json({"code": "invalid_parameter", "message": str(exc)}, 400)
            if not isinstance(body, dict):
                return _json({"code": "invalid_parameter", "message": "body must be object"}, 400)
            has_input = "input" in body
            return await run_in_threadpool(
                self._evaluate, _segments(path), body.get("input"), has_input
            )

        return app

    def asgi(self) -> Callable[..., Awaitable[None]]:
        """The app behind a plain ASGI wrapper that counts requests and applies ``delay_s``
        (Starlette's ``BaseHTTPMiddleware`` would add about a millisecond to every call)."""
        app = self.app()

        async def wrapper(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.requests += 1
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
            await app(scope, receive, send)

        return wrapper

    def _put_policy(self, module_id: str, source: str) -> Response:
        with self._lock:
            try:
                self._replace({**self.modules, module_id: source}, self.data)
            except _Refused as exc:
                return _invalid(exc)
        return _json({})

    def _put_data(self, segments: list[str], value: Any) -> Response:
        with self._lock:
            if not segments:
                if not isinstance(value, dict):
                    return _json(
                        {"code": "invalid_parameter", "message": "root must be object"}, 400
                    )
                data = copy.deepcopy(value)
            else:
                data = copy.deepcopy(self.data)
                target = data
                for segment in segments[:-1]:
                    child = target.get(segment)
                    if not isinstance(child, dict):
                        child = target[segment] = {}
                    target = child
                target[segments[-1]] = value
            try:
                self._replace(dict(self.modules), data)
            except _Refused as exc:
                return _invalid(exc)
        return Response(status_code=204)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on a free loopback port in a daemon thread; returns the base URL."""
        config = uvicorn.Config(
            self.asgi(),
            host="127.0.0.1",
            port=0,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("OPA test server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving (the port closes: later calls are refused connections)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _not_found(module_id: str) -> Response:
    return _json(
        {
            "code": "resource_not_found",
            "message": f'storage_not_found_error: policy id "{module_id}"',
        },
        404,
    )


def _invalid(exc: _Refused) -> Response:
    return _json(
        {
            "code": "invalid_parameter",
            "message": "error(s) occurred while compiling module(s)",
            "errors": exc.errors,
        },
        400,
    )


@contextmanager
def opa_test_server() -> Iterator[OpaTestServer]:
    """A running :class:`OpaTestServer`; stopped on exit (if the test has not stopped it)."""
    server = OpaTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- the stand-in policy set ------------------------------------------------------------------
#
# Until the privacy officers' policies under policies/gateway/ cover all seven decision points,
# tests and the benchmark need a realistic policy set of their own. It is deliberately written
# like a real one (covenant data, helper rules, a release rule over every signal and participant)
# so that conformance and timing say something about the real thing.

STAND_IN_COVENANT_RULES: dict[str, Any] = {
    "purposes": {
        "ketenaanpak": {"name": "Ketenaanpak", "basis": "Convenant art. 2 lid 7"},
        "zorg": {"name": "Zorg en opvang", "basis": "Convenant art. 2 lid 5"},
        "opsporing_vervolging": {"name": "Opsporing", "basis": "Convenant art. 2 lid 2"},
    },
    "data_classes": {
        "gewoon": {
            "basis": "AVG art. 6 lid 1 sub e",
            "recipients": [
                "gemeente",
                "politie",
                "om",
                "riec",
                "arbeidsinspectie",
                "belastingdienst",
                "zorg",
                "woningcorporatie",
            ],
        },
        "politiegegevens": {"basis": "Wpg art. 19", "recipients": ["politie", "om", "riec"]},
        "strafrechtelijk": {
            "basis": "AVG art. 10",
            "recipients": ["politie", "om", "riec", "gemeente"],
        },
        "gezondheid": {"basis": "AVG art. 9 lid 2 sub g", "recipients": ["zorg"]},
        "seksueel_leven": {
            "basis": "AVG art. 9 lid 2 sub g",
            "recipients": ["gemeente", "politie", "om", "riec"],
        },
        "fiscaal": {"basis": "AWR art. 67", "recipients": ["belastingdienst"]},
        "zorg_beroepsgeheim": {"basis": "BW art. 7:457", "recipients": ["zorg"]},
        "verblijfsstatus": {"basis": "Vw 2000 art. 107", "recipients": ["politie", "gemeente"]},
        "cie": {"basis": "Wpg art. 12", "recipients": []},
    },
    "thresholds": {"hit_min_parties": 2, "max_signals_per_case": 500},
    "retention": {"unlinked_signal_days": 730, "closed_case_days": 1825},
    "small_cell_threshold": 5,
    "linkage": {"link_kinds": ["bsn", "adres", "telefoon"], "hub_threshold": 10},
    "release": {
        "required_approvals": ["casusregisseur", "privacy_officer"],
        "stages": {"casusoverleg": "details", "detectie": "metadata"},
    },
    "minor_recipient_types": ["politie", "om", "riec", "zorg", "gemeente"],
}

_LIB = """package gateway.lib.stand_in

reason(code, message, basis) := {"code": code, "message": message, "basis": basis}

party(id) := data.covenant.parties[id]

is_signatory(id) if data.covenant.parties[id].signatory == true

holds_role(id, role) if role in data.covenant.parties[id].roles

may_receive_class(party_type, class) if {
	party_type in data.covenant.data_classes[class].recipients
}
"""  # noqa: E501

_INGEST = """package gateway.ingest

import data.gateway.lib.stand_in as lib

default allow := false

allow if count(refusals) == 0

refusals contains lib.reason("onbekende-partij", "De partij staat niet in het convenant.", "Convenant art. 3") if {
	not data.covenant.parties[input.party.id]
}

refusals contains lib.reason("geen-ondertekenaar", "Alleen ondertekenaars leveren signalen aan.", "Convenant art. 3") if {
	data.covenant.parties[input.party.id]
	not lib.is_signatory(input.party.id)
}

refusals contains lib.reason("geen-adapter", "Alleen een adapter levert signalen aan.", "Convenant art. 4") if {
	not "adapter" in object.get(input, ["caller", "roles"], [])
}

refusals contains lib.reason("cie-nooit", "CIE-informatie wordt nooit aangenomen.", "Wpg art. 12") if {
	some signal in object.get(input, "signals", [])
	"cie" in signal.data_classes
}

accepted := count(object.get(input, "signals", [])) if allow
else := 0

decision := {"allow": allow, "reasons": [r | some r in refusals], "accepted": accepted}
"""  # noqa: E501

_INGEST_TEST = """package gateway.ingest_test

import data.gateway.ingest

good := {
	"party": {"id": "politie-rotterdam", "type": "politie", "signatory": true},
	"caller": {"sub": "adapter-01", "roles": ["adapter"]},
	"signals": [{"data_classes": ["gewoon"]}],
}

test_a_signatory_adapter_may_submit if ingest.decision.allow with input as good

test_cie_is_refused if {
	not ingest.decision.allow with input as object.union(good, {"signals": [{"data_classes": ["cie"]}]})
}

test_a_non_signatory_is_refused if {
	d := ingest.decision with input as object.union(good, {"party": {"id": "gemeente-alblasserdam"}})
	some r in d.reasons
	r.code == "geen-ondertekenaar"
}
"""  # noqa: E501

_HITS = """package gateway.hits

import data.gateway.lib.stand_in as lib

default allow := false

default urgent(_) := false

requester_may_see if {
	lib.party(input.requester.party).type == "riec"
	"analist" in input.requester.roles
}

allow if requester_may_see

parties(cluster) := {s.party | some s in cluster.signals}

urgent(cluster) if {
	some s in cluster.signals
	object.get(s, ["flags", "minor"], false) == true
	s.form == "seksuele_uitbuiting"
}

hit(cluster) if count(parties(cluster)) >= data.covenant.thresholds.hit_min_parties

hit(cluster) if urgent(cluster)

result(cluster) := {"hit": true, "urgent": urgent(cluster)} if hit(cluster)
else := {"hit": false, "urgent": false}

hits := {c.id: result(c) | some c in input.clusters} if allow
else := {}

reasons := [lib.reason("riec-analist", "Analisten van het RIEC zien hits.", "Convenant art. 7")] if allow
else := [lib.reason("geen-analist", "Alleen analisten van het RIEC zien hits.", "Convenant art. 7")]

decision := {"allow": allow, "reasons": reasons, "hits": hits}
"""  # noqa: E501

_HITS_TEST = """package gateway.hits_test

import data.gateway.hits

analist := {"party": "riec-rr", "type": "riec", "roles": ["analist"]}

signal(party) := {"party": party, "form": "arbeidsuitbuiting", "flags": {"minor": false}}

test_two_parties_make_a_hit if {
	d := hits.decision with input as {"requester": analist, "clusters": [
		{"id": "c1", "signals": [signal("politie-rotterdam"), signal("gemeente-rotterdam")]},
	]}
	d.hits.c1.hit
}

test_one_party_is_no_hit if {
	d := hits.decision with input as {"requester": analist, "clusters": [
		{"id": "c1", "signals": [signal("politie-rotterdam")]},
	]}
	not d.hits.c1.hit
}
"""  # noqa: E501

_RELEASE = """package gateway.release

import data.gateway.lib.stand_in as lib

default allow := false

stage_allows_details if data.covenant.release.stages[input.case.stage] == "details"

purpose_known if data.covenant.purposes[input.case.purpose]

approvals := object.get(input.case, "approvals", [])

approved_roles := {a.role | some a in approvals; lib.holds_role(a.party, a.role)}

approvers := {a.sub | some a in approvals}

four_eyes if {
	every role in data.covenant.release.required_approvals { role in approved_roles }
	count(approvers) >= 2
}

case_refusals contains lib.reason("stadium", "Details worden alleen in het casusoverleg verstrekt.", "Convenant art. 8") if {
	not stage_allows_details
}

case_refusals contains lib.reason("doel-onbekend", "Het doel van de casus staat niet in het convenant.", "AVG art. 5 lid 1 sub b") if {
	not purpose_known
}

case_refusals contains lib.reason("vier-ogen", "Vrijgave vraagt akkoord van casusregisseur en privacy officer.", "Convenant art. 11") if {
	not four_eyes
}

embargoed(signal) if {
	until := object.get(signal.flags, "embargo_until", null)
	is_string(until)
	until > input.now
}

withheld_because(signal, type) := lib.reason("cie", "CIE-informatie wordt nooit verstrekt.", "Wpg art. 12") if {
	"cie" in signal.data_classes
} else := lib.reason("embargo", "Er loopt een embargo van OM of politie.", "Convenant art. 12") if {
	embargoed(signal)
	not type in {"politie", "om"}
} else := lib.reason("minderjarige", "Gegevens over minderjarigen alleen aan bevoegde partners.", "Convenant art. 14") if {
	object.get(signal.flags, "minor", false) == true
	not type in data.covenant.minor_recipient_types
} else := lib.reason("beroepsgeheim", "Zorggegevens alleen met toestemming.", "BW art. 7:457") if {
	"zorg_beroepsgeheim" in signal.data_classes
	object.get(signal.flags, "consent", null) != true
} else := lib.reason("geen-grondslag", "De ontvanger heeft geen grondslag voor deze gegevensklasse.", "Convenant art. 9") if {
	some class in signal.data_classes
	not lib.may_receive_class(type, class)
}

# The covenant decides a participant's type and signature, never the input.
recipient_type(participant) := lib.party(participant.party).type

signatory(participant) if lib.is_signatory(participant.party)

refused_participants := sort([p.party | some p in input.participants; not signatory(p)])

protected_fields := {"melder", "bron_partij", "bron_referentie"}

fields(signal) := {f | some f in signal.fields} - protected_fields if object.get(signal.flags, "source_protected", false) == true
else := {f | some f in signal.fields}

# Judged once per recipient type, not per participant: four municipalities share one verdict.
recipient_types := {recipient_type(p) | some p in input.participants; signatory(p)}

verdicts[type] := {signal.id: reason |
	some signal in input.signals
	reason := withheld_because(signal, type)
} if {
	count(case_refusals) == 0
	some type in recipient_types
}

withheld contains {"recipient": p.party, "signal": id, "code": reason.code} if {
	some p in input.participants
	signatory(p)
	some id, reason in verdicts[recipient_type(p)]
}

releases[p.party] := [{"signal": signal.id, "fields": sort(fields(signal))} |
	some signal in input.signals
	not verdicts[recipient_type(p)][signal.id]
] if {
	count(case_refusals) == 0
	some p in input.participants
	signatory(p)
}

released_count := sum([count(items) | some items in releases])

allow if {
	count(case_refusals) == 0
	released_count > 0
}

reasons := [r | some r in case_refusals] if count(case_refusals) > 0
else := [lib.reason("vrijgave", "Vrijgave volgens het convenant.", "Convenant art. 8")] if allow
else := [lib.reason("niets-vrij", "Geen enkel signaal mag naar een deelnemer.", "Convenant art. 9")]

decision := {
	"allow": allow,
	"reasons": reasons,
	"releases": releases,
	"withheld": [w | some w in withheld],
	"refused_participants": refused_participants,
}
"""  # noqa: E501

_RELEASE_TEST = """package gateway.release_test

import data.gateway.release

case := {
	"requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"]},
	"case": {"stage": "casusoverleg", "purpose": "ketenaanpak", "approvals": [
		{"party": "riec-rr", "role": "casusregisseur", "sub": "a"},
		{"party": "politie-rotterdam", "role": "privacy_officer", "sub": "b"},
	]},
	"participants": [{"party": "politie-rotterdam"}, {"party": "zorgcoordinator-rr"}],
	"now": "2026-10-01T10:00:00Z",
	"signals": [{"id": "s1", "data_classes": ["gewoon"], "fields": ["naam", "melder"],
		"flags": {"minor": false, "source_protected": true, "embargo_until": null, "consent": null}}],
}

test_release_in_the_casusoverleg if release.decision.allow with input as case

test_source_is_protected if {
	d := release.decision with input as case
	d.releases["politie-rotterdam"][0].fields == ["naam"]
}

test_no_release_before_the_casusoverleg if {
	not release.decision.allow with input as object.union(case, {"case": {"stage": "detectie"}})
}
"""  # noqa: E501

_STATS = """package gateway.stats

import data.gateway.lib.stand_in as lib

default allow := false

allow if data.covenant.parties[input.requester.party]

suppressed contains cell.key if {
	some cell in object.get(input, "cells", [])
	cell.count < data.covenant.small_cell_threshold
}

reasons := [lib.reason("statistiek", "Geaggregeerde cijfers met celonderdrukking.", "Convenant art. 16")] if allow
else := [lib.reason("onbekende-partij", "Alleen convenantpartners zien cijfers.", "Convenant art. 16")]

decision := {"allow": allow, "reasons": reasons, "suppressed": sort([k | some k in suppressed])}
"""  # noqa: E501

_SUBJECT_ACCESS = """package gateway.subject_access

import data.gateway.lib.stand_in as lib

default allow := false

allow if {
	lib.is_signatory(input.requester.party)
	lib.holds_role(input.requester.party, "privacy_officer")
	"privacy_officer" in input.requester.roles
}

decision := {"allow": true, "reasons": [lib.reason("inzage", "Inzage door de privacy officer.", "AVG art. 15")]} if allow
else := {"allow": false, "reasons": [lib.reason("geen-privacy-officer", "Alleen een privacy officer handelt inzageverzoeken af.", "AVG art. 15")]}
"""  # noqa: E501

_CASE = """package gateway.case

import data.gateway.lib.stand_in as lib

default allow := false

# Stand-in: only the RIEC's case director acts on a case.
allow if {
	lib.party(input.requester.party).type == "riec"
	lib.holds_role(input.requester.party, "casusregisseur")
	"casusregisseur" in input.requester.roles
}

decision := {"allow": true, "reasons": [lib.reason("casusregisseur", "De casusregisseur van het RIEC.", "Convenant art. 4 lid 2")]} if allow
else := {"allow": false, "reasons": [lib.reason("verzoeker-geen-casusregisseur", "Alleen de casusregisseur van het RIEC.", "Convenant art. 4 lid 2")]}
"""  # noqa: E501

_EMBARGO = """package gateway.embargo

import data.gateway.lib.stand_in as lib

default allow := false

# Stand-in: politie and OM act on embargoes; every reader gets a marker without details.
allow if {
	lib.party(input.requester.party).type in {"politie", "om"}
	lib.is_signatory(input.requester.party)
}

allow if input.action == "mark"

decision := {"allow": true, "reasons": [lib.reason("embargo", "Politie of OM.", "Convenant art. 11")], "allowed_types": ["om", "politie"], "details": false} if allow
else := {"allow": false, "reasons": [lib.reason("embargo-niet-bevoegd", "Alleen politie en OM.", "Convenant art. 11")], "allowed_types": [], "details": false}
"""  # noqa: E501

_APPROVALS = [
    {"party": "riec-rr", "role": "casusregisseur", "sub": "medewerker-0001"},
    {"party": "politie-rotterdam", "role": "privacy_officer", "sub": "medewerker-0002"},
]
STAND_IN_SAMPLES = {
    "gateway/release/samples/allowed.json": {
        "requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"]},
        "now": "2026-10-01T10:00:00Z",
        "case": {"stage": "casusoverleg", "purpose": "ketenaanpak", "approvals": _APPROVALS},
        "participants": [
            {"party": "politie-rotterdam", "type": "politie", "signatory": True},
            {"party": "gemeente-rotterdam", "type": "gemeente", "signatory": True},
            {"party": "gemeente-alblasserdam", "type": "gemeente", "signatory": False},
        ],
        "signals": [
            {
                "id": "s1",
                "party": "politie-rotterdam",
                "party_type": "politie",
                "form": "arbeidsuitbuiting",
                "data_classes": ["gewoon"],
                "fields": ["naam"],
                "flags": {"minor": False, "source_protected": False, "embargo_until": None},
            },
            {
                "id": "s2",
                "party": "gemeente-rotterdam",
                "party_type": "gemeente",
                "form": "seksuele_uitbuiting",
                "data_classes": ["politiegegevens"],
                "fields": ["omschrijving", "melder"],
                "flags": {"minor": True, "source_protected": True, "embargo_until": "2027-01-01"},
            },
        ],
    },
    "gateway/release/samples/refused.json": {
        "requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"]},
        "now": "2026-10-01T10:00:00Z",
        "case": {"stage": "detectie", "purpose": "ketenaanpak", "approvals": []},
        "participants": [{"party": "politie-rotterdam", "type": "politie", "signatory": True}],
        "signals": [],
    },
    "gateway/ingest/samples/refused.json": {
        "party": {"id": "gemeente-alblasserdam", "type": "gemeente", "signatory": False},
        "caller": {"sub": "adapter-01", "roles": ["adapter"]},
        "signals": [{"data_classes": ["cie"]}],
    },
}

STAND_IN_MODULES = {
    "gateway/lib/stand_in.rego": _LIB,
    "gateway/ingest/ingest.rego": _INGEST,
    "gateway/ingest/ingest_test.rego": _INGEST_TEST,
    "gateway/hits/hits.rego": _HITS,
    "gateway/hits/hits_test.rego": _HITS_TEST,
    "gateway/case/case.rego": _CASE,
    "gateway/release/release.rego": _RELEASE,
    "gateway/release/release_test.rego": _RELEASE_TEST,
    "gateway/stats/stats.rego": _STATS,
    "gateway/subject_access/subject_access.rego": _SUBJECT_ACCESS,
    "gateway/embargo/embargo.rego": _EMBARGO,
}


def write_stand_in_policies(directory: Path) -> Path:
    """Write the stand-in policy set under ``directory`` and return it.

    Covenant data: the demo covenant's parties from ``policies/covenant/data.json`` with the
    stand-in's own rule data (its policies read that shape, whatever the real covenant grows
    into); the indicator catalogue is copied as it is. Sample inputs go to ``samples/`` folders,
    which are not data.
    """
    directory.mkdir(parents=True, exist_ok=True)
    real = json.loads((REPO / "policies" / "covenant" / "data.json").read_text("utf-8"))
    covenant = {
        key: real[key]
        for key in ("id", "name", "region", "gateway_id", "pseudonym_domain", "parties")
        if key in real
    }
    covenant.update(copy.deepcopy(STAND_IN_COVENANT_RULES))
    (directory / "covenant").mkdir(exist_ok=True)
    (directory / "covenant" / "data.json").write_text(
        json.dumps(covenant, indent=2, ensure_ascii=False), "utf-8"
    )
    catalogue = REPO / "policies" / "catalogue" / "data.json"
    (directory / "catalogue").mkdir(exist_ok=True)
    shutil.copyfile(catalogue, directory / "catalogue" / "data.json")
    for relative, source in STAND_IN_MODULES.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, "utf-8")
    for relative, sample in STAND_IN_SAMPLES.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sample, indent=2), "utf-8")
    return directory
