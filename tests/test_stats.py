"""The regional monitor, ``GET /v1/stats``: over a real HTTP server on SQLite and PostgreSQL
(policy decisions, suppression in responses, audit, no personal data), and the rollup against a
count straight from the signals."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, insert, select, update

from gateway.audit import store as audit
from gateway.runtime import Runtime
from gateway.stats.dimensions import (
    Dimension,
    Labels,
    StatsQuery,
    choose_shape,
    count_facts,
    month_of,
)
from gateway.storage import stats as stats_store
from gateway.storage.tables import DecisionRow, SignalRow, StatsCountRow
from tests.support import REPO, Caller, batch, signal

ANALYST = {"roles": ["analist"]}
RIEC = "riec-rr"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def catalogue_barriers() -> dict[str, str]:
    data = json.loads((REPO / "policies/catalogue/data.json").read_text())
    return {code: entry["barrier"] for code, entry in data["indicators"].items()}


def labels(rt: Runtime) -> Labels:
    return Labels(
        party_types={p.id: p.type.value for p in rt.covenant.parties.values()},
        barriers={code: b.value for code, b in rt.catalogue.barriers.items()},
    )


def recount(rt: Runtime) -> None:
    """Recount what was posted. The rollup catches up before every read by itself (see the
    tests below); a rebuild gives the same rows either way."""
    with rt.engine.begin() as connection:
        stats_store.rebuild(connection, barriers=labels(rt).barriers)


def post(caller: Caller, signals: list[dict[str, Any]], party: str = "gemeente-rotterdam"):
    response = caller.call(party, "POST", "/v1/signals", batch(*signals))
    assert response.status_code == 200, response.text
    return response


def stats(caller: Caller, party: str = RIEC, roles: list[str] | None = None, **params: str):
    target = "/v1/stats" + (f"?{urlencode(params)}" if params else "")
    return caller.call(party, "GET", target, roles=roles or ["analist"])


def cells(body: dict[str, Any]) -> dict[tuple[str, ...], int | str]:
    names = body["dimensions"]
    return {tuple(c[n] for n in names): c["count"] for c in body["cells"]}


def many(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [signal(**overrides) for _ in range(n)]


# --- Over HTTP -----------------------------------------------------------------------------


def test_small_cells_and_their_complements_are_suppressed(caller, server):
    _, rt = server
    post(
        caller,
        many(12, form="arbeidsuitbuiting", municipality="GM0599")
        + many(3, form="seksuele_uitbuiting", municipality="GM0599")
        + many(7, form="arbeidsuitbuiting", municipality="GM0622")
        + many(8, form="seksuele_uitbuiting", municipality="GM0622"),
    )
    recount(rt)
    response = stats(caller, dimensions="vorm,gemeente")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dimensions"] == ["vorm", "gemeente"]
    assert body["threshold"] == 5
    # One small cell in a 2x2 table: the other three are hidden too, or rows and columns would
    # give it away (15 - 12 = 3).
    assert cells(body) == {
        ("arbeidsuitbuiting", "GM0599"): "x",
        ("arbeidsuitbuiting", "GM0622"): "x",
        ("seksuele_uitbuiting", "GM0599"): "<5",
        ("seksuele_uitbuiting", "GM0622"): "x",
    }
    assert body["marginals"] == {
        "vorm": [
            {"vorm": "arbeidsuitbuiting", "count": 19},
            {"vorm": "seksuele_uitbuiting", "count": 11},
        ],
        "gemeente": [{"gemeente": "GM0599", "count": 15}, {"gemeente": "GM0622", "count": 15}],
    }
    assert body["total"] == 30
    assert body["suppression"]["primary"] == 1 and body["suppression"]["complementary"] == 3
    assert body["unit"] == "signalen" and body["totals_are_signal_counts"] is True
    assert body["revision"] == rt.policy.revision
    codes = {r["code"] for r in body["reasons"]}
    assert codes == {"convenantpartner", "kleine-aantallen-onderdrukt"}
    assert all(set(r) == {"code", "message", "basis"} for r in body["reasons"])


def test_counts_at_or_above_the_threshold_are_published_exactly(caller, server):
    _, rt = server
    post(caller, many(6, form="arbeidsuitbuiting") + many(9, form="criminele_uitbuiting"))
    recount(rt)
    body = stats(caller, dimensions="vorm").json()
    assert cells(body) == {("arbeidsuitbuiting",): 6, ("criminele_uitbuiting",): 9}
    assert body["total"] == 15 and body["marginals"] == {}


def test_indicator_counts_pairs_and_says_so(caller, server):
    _, rt = server
    # Two indicators of the same barrier (huisvesting) and one of another (arbeid).
    two_housing = ["HUIS-OVERBEWONING", "HUIS-ONDERVERHUUR", "ARB-ONDERBETALING"]
    post(caller, many(5, indicators=two_housing) + many(5, indicators=["HUIS-OVERBEWONING"]))
    recount(rt)
    by_indicator = stats(caller, dimensions="indicator").json()
    assert cells(by_indicator) == {
        ("ARB-ONDERBETALING",): 5,
        ("HUIS-ONDERVERHUUR",): 5,
        ("HUIS-OVERBEWONING",): 10,
    }
    assert by_indicator["total"] == 20  # pairs, not the 10 signals
    assert by_indicator["unit"] == "signaal-indicatorparen"
    assert by_indicator["totals_are_signal_counts"] is False
    by_barrier = stats(caller, dimensions="barriere").json()
    # A signal counts once per distinct barrier: the five with two housing indicators once.
    assert cells(by_barrier) == {("arbeid",): 5, ("huisvesting",): 10}
    assert by_barrier["unit"] == "signaal-barrièreparen"


def test_party_types_and_months_are_labelled(caller, server):
    _, rt = server
    # Sent in UTC: months are Dutch calendar months, so the second batch counts in May.
    post(caller, many(5, observed_at="2026-03-31T21:30:00+00:00"))
    post(caller, many(5, observed_at="2026-04-30T22:30:00+00:00"), party="gemeente-vlaardingen")
    post(caller, many(5, observed_at="2026-05-02T08:00:00+00:00"), party="politie-rotterdam")
    recount(rt)
    body = stats(caller, dimensions="partijtype,maand").json()
    assert cells(body) == {
        ("gemeente", "2026-03"): 5,
        ("gemeente", "2026-05"): 5,
        ("politie", "2026-05"): 5,
    }
    quarters = stats(caller, dimensions="kwartaal,jaar").json()
    assert cells(quarters) == {("2026-K1", "2026"): 5, ("2026-K2", "2026"): 10}


def test_filters_and_windows_restrict_the_table(caller, server):
    _, rt = server
    post(
        caller,
        many(5, observed_at="2025-06-01T10:00:00+02:00", form="arbeidsuitbuiting")
        + many(6, observed_at="2026-06-01T10:00:00+02:00", form="arbeidsuitbuiting")
        + many(7, observed_at="2026-06-01T10:00:00+02:00", municipality="GM0622")
        + many(8, observed_at="2026-06-01T10:00:00+02:00", form="seksuele_uitbuiting"),
    )
    recount(rt)
    body = stats(
        caller, dimensions="vorm", since="2026-01", until="2026-12", gemeente="GM0599"
    ).json()
    assert cells(body) == {("arbeidsuitbuiting",): 6, ("seksuele_uitbuiting",): 8}
    assert body["filters"] == {
        "since": "2026-01",
        "until": "2026-12",
        "gemeente": "GM0599",
        "vorm": None,
    }


def test_a_non_signatory_loses_signatory_only_dimensions(caller, server):
    _, rt = server
    post(caller, many(6, form="arbeidsuitbuiting") + many(7, form="seksuele_uitbuiting"))
    recount(rt)
    response = stats(
        caller, party="gemeente-alblasserdam", roles=["deelnemer"], dimensions="vorm,partijtype"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dimensions"] == ["vorm"]
    assert cells(body) == {("arbeidsuitbuiting",): 6, ("seksuele_uitbuiting",): 7}
    codes = {r["code"] for r in body["reasons"]}
    assert {"dimensie-alleen-convenantpartners", "alleen-geanonimiseerde-aggregaten"} <= codes
    assert "partijtype" not in json.dumps(body["cells"])


def test_a_non_signatory_cannot_slice_by_month_through_a_window(caller):
    response = stats(
        caller,
        party="gemeente-alblasserdam",
        roles=["deelnemer"],
        dimensions="vorm",
        since="2026-03",
        until="2026-04",
    )
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "/problems/policy-refused"
    (error,) = problem["errors"]
    assert error["location"] == "query.since"
    assert error["code"] == "dimensie-alleen-convenantpartners"
    # Whole quarters are open to everyone.
    quarter = stats(
        caller,
        party="gemeente-alblasserdam",
        roles=["deelnemer"],
        dimensions="vorm",
        since="2026-01",
        until="2026-03",
    )
    assert quarter.status_code == 200, quarter.text


def test_an_adapter_is_refused_and_the_refusal_is_recorded_and_audited(caller, server):
    _, rt = server
    response = stats(caller, party="gemeente-rotterdam", roles=["adapter"], dimensions="vorm")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/policy-refused"
    # Every reason of the decision, as the policy gave it (with the informational ones).
    refusal = next(e for e in problem["errors"] if e["code"] == "rol-niet-voor-statistiek")
    assert refusal["basis"] and refusal["location"] == "dimensions"
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="stats.refused")
        decided = connection.execute(
            select(DecisionRow.__table__.c.point, DecisionRow.__table__.c.allow).where(
                DecisionRow.__table__.c.point == "stats"
            )
        ).all()
    assert entry["actor"]["party"] == "gemeente-rotterdam"
    assert "rol-niet-voor-statistiek" in entry["detail"]["reasons"]
    assert [(d.point, d.allow) for d in decided] == [("stats", False)]


def test_filters_count_as_dimensions(caller):
    response = stats(caller, dimensions="vorm,jaar,indicator", gemeente="GM0599")
    assert response.status_code == 403
    assert "te-veel-dimensies" in {e["code"] for e in response.json()["errors"]}
    assert stats(caller, dimensions="vorm,jaar,indicator").status_code == 200


def test_the_view_is_audited_and_the_decision_recorded_without_counts(caller, server):
    _, rt = server
    post(caller, many(6))
    recount(rt)
    assert stats(caller, dimensions="vorm", gemeente="GM0599").status_code == 200
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="stats.viewed")
        decisions_table = DecisionRow.__table__
        (decision,) = connection.execute(
            select(decisions_table).where(decisions_table.c.point == "stats")
        ).all()
    assert entry["actor"]["party"] == RIEC
    assert entry["object"] == {"dimensions": ["vorm"]}
    assert entry["detail"]["filters"] == {"gemeente": "GM0599"}
    assert entry["detail"]["cells"] == 1 and entry["detail"]["primary"] == 0
    assert decision.point == "stats" and decision.allow
    assert decision.input["dimensions"] == ["vorm", "gemeente"]
    assert decision.input["requester"]["party"] == RIEC


def test_the_response_holds_no_ref_pseudonym_or_sealed_data(caller, server):
    _, rt = server
    sent = many(7, form="arbeidsuitbuiting") + many(2, form="mensensmokkel")
    post(caller, sent)
    recount(rt)
    for dimensions in ("vorm,gemeente,zekerheid", "indicator,minderjarig", "partijtype,maand"):
        response = stats(caller, dimensions=dimensions)
        assert response.status_code == 200, response.text
        text = response.text
        for s in sent:
            assert s["ref"] not in text
            assert s["sealed"][:40] not in text
            for subject in s["subjects"]:
                assert subject["pseudonym"][:40] not in text
        body = response.json()
        allowed = {*body["dimensions"], "count"}
        assert all(set(c) <= allowed for c in body["cells"])
    columns = set(StatsCountRow.__table__.c.keys())
    assert not columns & {"ref", "sealed", "pseudonym", "content_sha256", "signal_id"}


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({}, "query.dimensions"),
        ({"dimensions": "vorm", "since": "2026-13"}, "query.since"),
        ({"dimensions": "vorm", "until": "gisteren"}, "query.until"),
        ({"dimensions": "vorm", "gemeente": "GM9999"}, "query.gemeente"),
        ({"dimensions": "vorm", "vorm": "onzin"}, "query.vorm"),
        ({"dimensions": "vorm", "naam": "Jansen"}, "query.naam"),
        ({"dimensions": "vorm,vorm"}, "query.dimensions"),
        ({"dimensions": "Vorm; DROP"}, "query.dimensions"),
        ({"dimensions": "vorm", "since": "2026-05", "until": "2026-01"}, "query.until"),
    ],
)
def test_bad_parameters_are_located_and_not_echoed(caller, params, location):
    response = stats(caller, **params)
    assert response.status_code == 422, response.text
    assert location in [e["location"] for e in response.json()["errors"]]
    assert "Jansen" not in response.text and "GM9999" not in response.text


def test_an_unknown_dimension_is_dropped_with_a_reason(caller, server):
    _, rt = server
    post(caller, many(5))
    recount(rt)
    body = stats(caller, dimensions="vorm,schoenmaat").json()
    assert body["dimensions"] == ["vorm"]
    assert "dimensie-onbekend" in {r["code"] for r in body["reasons"]}


def test_ingest_keeps_the_rollup_current_without_a_rebuild(caller):
    post(caller, many(6, form="criminele_uitbuiting"))
    body = stats(caller, dimensions="vorm").json()
    assert cells(body) == {("criminele_uitbuiting",): 6}


def test_superseded_and_expired_signals_leave_the_counts(caller, server):
    from gateway.retention import run_retention

    _, rt = server
    first = many(6, form="criminele_uitbuiting")
    post(caller, first)
    assert cells(stats(caller, dimensions="vorm").json()) == {("criminele_uitbuiting",): 6}
    # Two corrected to another form (after the rollup counted them), then one more signal, and
    # a correction of a version the rollup has not seen yet: each counts once, where it is now.
    post(caller, [dict(s, version=2, supersedes=1, form="arbeidsuitbuiting") for s in first[:2]])
    late = many(1, form="criminele_uitbuiting")
    post(caller, late)
    post(caller, [dict(late[0], version=2, supersedes=1, form="arbeidsuitbuiting")])
    assert cells(stats(caller, dimensions="vorm").json()) == {
        ("criminele_uitbuiting",): "<5",
        ("arbeidsuitbuiting",): "<5",
    }
    with rt.engine.connect() as connection:
        exact = stats_store.counts(connection, StatsQuery((Dimension.VORM,)), labels(rt))
    assert exact == {("criminele_uitbuiting",): 4, ("arbeidsuitbuiting",): 3}
    # Signals past retention are deleted and subtracted.
    post(caller, many(5, form="criminele_uitbuiting", observed_at="2020-01-01T09:00:00+01:00"))
    assert run_retention(rt).due == 5
    with rt.engine.begin() as connection:
        stats_store.catch_up(connection, barriers=labels(rt).barriers)
        exact = stats_store.counts(connection, StatsQuery((Dimension.VORM,)), labels(rt))
    assert exact == {("criminele_uitbuiting",): 4, ("arbeidsuitbuiting",): 3}


# --- The rollup against the signals ------------------------------------------------------------

MUNICIPALITIES = ["GM0599", "GM0622", "GM0597", "GM0606"]
FORMS = ["arbeidsuitbuiting", "seksuele_uitbuiting", "criminele_uitbuiting"]
PARTIES = ["gemeente-rotterdam", "gemeente-vlaardingen", "politie-rotterdam", "arbeidsinspectie"]


def random_row(rnd: random.Random, indicators: list[str], ref: str) -> dict[str, Any]:
    observed = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rnd.randrange(3 * 525_600))
    return {
        "party": rnd.choice(PARTIES),
        "ref": ref,
        "version": 1,
        "is_current": True,
        "content_sha256": secrets.token_bytes(32),
        "observed_at": observed,
        "received_at": NOW,
        "municipality": rnd.choice(MUNICIPALITIES),
        "form": rnd.choice(FORMS),
        "certainty": rnd.choice(["vermoeden", "aannemelijk", "vastgesteld"]),
        "indicators": rnd.sample(indicators, rnd.randrange(0, 4)),
        "data_classes": ["gewoon"],
        "minor": rnd.random() < 0.2,
        "consent": None,
        "embargo_until": None,
        "source_protected": False,
        "sealed": b"\x01" * 16,
    }


def queries() -> list[StatsQuery]:
    """Every combination of up to two dimensions, some of three, with and without filters."""
    dims = list(Dimension)
    found = [StatsQuery(tuple(c)) for n in (1, 2) for c in combinations(dims, n)]
    found += [StatsQuery(tuple(c)) for c in combinations(dims, 3) if len(found) % 3 == 0]
    found += [
        StatsQuery((Dimension.VORM, Dimension.INDICATOR), since=202406, until=202512),
        StatsQuery((Dimension.BARRIERE,), gemeente="GM0622", vorm="arbeidsuitbuiting"),
        StatsQuery((Dimension.ZEKERHEID, Dimension.PARTIJTYPE), gemeente="GM0599"),
        StatsQuery((Dimension.MAAND,), since=202503, until=202503),
        StatsQuery((Dimension.INDICATOR, Dimension.MINDERJARIG), vorm="seksuele_uitbuiting"),
        # Four dimensions: no shape covers it, so it is counted from the signals.
        StatsQuery((Dimension.INDICATOR, Dimension.GEMEENTE, Dimension.ZEKERHEID, Dimension.JAAR)),
    ]
    return found


def test_rollup_kept_by_on_ingest_matches_a_count_from_the_signals(engine: Engine) -> None:
    rnd = random.Random(5)
    barriers = catalogue_barriers()
    indicators = sorted(barriers)
    text_labels = Labels(
        party_types={
            "gemeente-rotterdam": "gemeente",
            "gemeente-vlaardingen": "gemeente",
            "politie-rotterdam": "politie",
            "arbeidsinspectie": "arbeidsinspectie",
        },
        barriers=barriers,
    )
    signals = SignalRow.__table__
    with engine.begin() as connection:
        for start in range(0, 600, 150):  # four ingests
            rows = [random_row(rnd, indicators, f"r-{i}") for i in range(start, start + 150)]
            connection.execute(insert(signals), rows)
            stats_store.on_ingest(connection, added_rows=rows, removed_ids=[], barriers=barriers)
        # Supersede 40 of them: the old versions stop counting, the new ones count.
        old = connection.execute(select(signals.c.id, signals.c.ref).limit(40)).all()
        connection.execute(
            update(signals).where(signals.c.id.in_([o.id for o in old])).values(is_current=False)
        )
        new_rows = [
            {**random_row(rnd, indicators, o.ref), "version": 2, "form": "mensensmokkel"}
            for o in old
        ]
        # One is inserted as not current (a version superseded within its own batch).
        new_rows.append({**random_row(rnd, indicators, "r-x"), "is_current": False})
        connection.execute(insert(signals), new_rows)
        stats_store.on_ingest(
            connection, added_rows=new_rows, removed_ids=[o.id for o in old], barriers=barriers
        )
    with engine.connect() as connection:
        facts = list(stats_store.current_facts(connection, barriers))
        assert len(facts) == 600
        for query in queries():
            expected = count_facts(query, facts, text_labels)
            assert stats_store.counts(connection, query, text_labels) == expected, query
        assert any(choose_shape(q) is None for q in queries())  # the fallback path ran too
        before = _rollup(connection)
    with engine.begin() as connection:
        assert stats_store.rebuild(connection, barriers=barriers) == 600
    with engine.connect() as connection:
        assert _rollup(connection) == before


def _rollup(connection) -> Counter:
    table = StatsCountRow.__table__
    rows = connection.execute(select(table).where(table.c.n != 0)).all()
    return Counter({tuple(r)[:-1]: r.n for r in rows})


def test_every_request_the_policy_allows_has_a_rollup_shape() -> None:
    """With max_dimensions 3, every combination (filters and windows included) is answered from
    a rollup, never by counting signals."""
    dims = list(Dimension)
    for n in (1, 2, 3):
        for combo in combinations(dims, n):
            assert choose_shape(StatsQuery(combo)) is not None, combo
            if n <= 2 and Dimension.GEMEENTE not in combo:
                filtered = StatsQuery(combo, gemeente="GM0599")
                assert choose_shape(filtered) is not None, combo
            if n <= 2 and not {Dimension.JAAR, Dimension.KWARTAAL, Dimension.MAAND} & set(combo):
                assert choose_shape(StatsQuery(combo, since=202501)) is not None, combo


def test_months_are_dutch_calendar_months() -> None:
    assert month_of(datetime(2026, 9, 30, 22, 30, tzinfo=UTC)) == 202610  # 00:30 in Amsterdam
    assert month_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == 202701
    assert month_of(datetime(2026, 6, 30, 21, 59)) == 202606  # naive: UTC (SQLite)


@pytest.mark.parametrize(
    ("query", "implied"),
    [
        (StatsQuery((Dimension.VORM,), since=202501, until=202512), ["jaar"]),
        (StatsQuery((Dimension.VORM,), since=202504), ["kwartaal"]),
        (StatsQuery((Dimension.VORM,), until=202505), ["maand"]),
        (StatsQuery((Dimension.MAAND,), since=202502, until=202505), []),
        (StatsQuery((Dimension.JAAR,), since=202504, until=202506), ["kwartaal"]),
        (StatsQuery((Dimension.VORM,), gemeente="GM0599", vorm="mensensmokkel"), ["gemeente"]),
    ],
)
def test_filters_imply_dimensions(query: StatsQuery, implied: list[str]) -> None:
    assert [d.value for d in query.implied_dimensions()] == implied


def test_the_rollup_has_no_rows_for_a_database_without_signals(engine: Engine) -> None:
    with engine.begin() as connection:
        assert stats_store.rebuild(connection, barriers=catalogue_barriers()) == 0
        table = StatsCountRow.__table__
        assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_the_migration_counts_signals_stored_before_it(tmp_path, monkeypatch) -> None:
    """Upgrading a database that already holds signals fills the rollup (SQLite: the backfill is
    the same code on both backends, and rebuild itself runs on both above)."""
    from alembic import command

    from gateway.storage.database import alembic_config, create_db_engine, migrate

    monkeypatch.setenv("GATEWAY_POLICIES_DIR", str(REPO / "policies"))
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    barriers = catalogue_barriers()
    rnd = random.Random(9)
    rows = [random_row(rnd, sorted(barriers), f"old-{i}") for i in range(50)]
    with engine.begin() as connection:
        connection.execute(insert(SignalRow.__table__), rows)
    migrate(engine)
    query = StatsQuery((Dimension.VORM, Dimension.BARRIERE))
    text_labels = Labels(party_types={}, barriers=barriers)
    with engine.connect() as connection:
        facts = list(stats_store.current_facts(connection, barriers))
        counted = stats_store.counts(connection, query, text_labels)
    assert counted == count_facts(query, facts, text_labels) and sum(counted.values()) > 0
    engine.dispose()


def test_a_table_with_more_cells_than_the_covenant_allows_is_refused(caller, server, monkeypatch):
    import gateway.api.routes.stats as route

    _, rt = server
    assert route._max_cells(rt) == rt.policy.data["covenant"]["stats"]["max_cells"]
    post(caller, many(6, form="criminele_uitbuiting") + many(6, form="arbeidsuitbuiting"))
    monkeypatch.setattr(route, "_max_cells", lambda rt: 1)
    response = stats(caller, dimensions="vorm")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["code"] == "te-veel-cellen" and error["location"] == "query.dimensions"
    monkeypatch.setattr(route, "_max_cells", lambda rt: 2)
    assert stats(caller, dimensions="vorm").status_code == 200


def test_the_background_catch_up_counts_new_signals_before_anyone_reads(caller, server):
    _, rt = server
    post(caller, many(3, form="criminele_uitbuiting"))
    stop, errors = threading.Event(), []
    worker = threading.Thread(
        target=stats_store.run_catch_up,
        kwargs={
            "engine": rt.engine,
            "barriers": labels(rt).barriers,
            "interval_s": 0.01,
            "stop": stop,
            "on_error": errors.append,
        },
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            with rt.engine.connect() as connection:
                found = stats_store.counts(connection, StatsQuery((Dimension.VORM,)), labels(rt))
            if found or time.monotonic() > deadline:
                break
    finally:
        stop.set()
        worker.join()
    assert found == {("criminele_uitbuiting",): 3} and errors == []
