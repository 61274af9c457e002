"""Release keys per period and crypto-shredding (docs/sealing.md).

First the key store on its own (files only), then the property the feature exists for, end to end
over HTTP on both databases: once retention has deleted every signal sealed to a retired key, the
retention run deletes that key, and a copy of those envelopes taken earlier (a backup) no longer
opens, while signals sealed to newer keys still do.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine, insert, select

from gateway import sealing
from gateway.audit import store as audit
from gateway.bootstrap import create_dev_keys
from gateway.errors import ConfigurationError
from gateway.parties.covenant import load_covenant
from gateway.parties.release_keys import BEGINNING, ReleaseKeys
from gateway.retention import run_retention
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.storage.database import alembic_config, migrate
from gateway.storage.signals import sealed_to
from gateway.storage.tables import CaseSignalRow, SignalRow
from tests.support import REPO, Caller, batch, live_server, real_envelope, signal
from tests.test_migrations import _insert, _signal, fresh_engine  # noqa: F401

GATEWAY = "gateway.rr-demo"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> ReleaseKeys:
    keys = ReleaseKeys(tmp_path / "private", GATEWAY)
    keys.rotate(T0)
    return keys


# -- the key store ---------------------------------------------------------------------------


def test_the_newest_started_key_is_current_and_retires_the_one_before(store: ReleaseKeys) -> None:
    first = store.current(T0)
    second = store.rotate(T0 + timedelta(days=90))
    assert store.current(T0 + timedelta(days=89)).kid == first.kid
    assert store.current(T0 + timedelta(days=90)).kid == second.kid
    states = store.states(T0 + timedelta(days=91))
    assert [(s.key.kid, s.retired_at) for s in states] == [
        (first.kid, second.not_before),
        (second.kid, None),
    ]
    # A key that has not started yet is neither current nor accepted.
    later = store.rotate(T0 + timedelta(days=200))
    assert store.current(T0 + timedelta(days=100)).kid == second.kid
    assert later.kid not in store.accepted_kids(T0 + timedelta(days=100), timedelta(days=7))
    with pytest.raises(ConfigurationError, match="geen vrijgavesleutel"):
        store.current(T0 - timedelta(seconds=1))


def test_a_retired_key_is_accepted_only_within_the_grace_period(store: ReleaseKeys) -> None:
    first = store.current(T0)
    second = store.rotate(T0 + timedelta(days=90))
    grace = timedelta(days=7)
    assert store.accepted_kids(T0 + timedelta(days=96, hours=23), grace) == {first.kid, second.kid}
    assert store.accepted_kids(T0 + timedelta(days=97), grace) == {second.kid}


def test_each_key_is_its_own_0600_file_and_what_is_published_has_no_private_parts(
    store: ReleaseKeys,
) -> None:
    second = store.rotate(T0 + timedelta(days=90))
    files = sorted(store.directory.glob("*.json"))
    assert len(files) == 2 and store.directory / f"{second.kid}.json" in files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for key in store.keys():
        assert not {"x25519_private", "mlkem_seed", "d"} & key.public.keys()
        assert {"kid", "kem", "x25519", "mlkem", "use", "not_before"} <= key.public.keys()
    assert [k.public["not_before"] for k in store.keys()] == [
        T0.isoformat(),
        second.not_before.isoformat(),
    ]
    assert set(store.private_records()) == {k.kid for k in store.keys()}


def test_shredding_deletes_the_private_key_and_unpublishes_it(store: ReleaseKeys) -> None:
    first = store.current(T0)
    second = store.rotate(T0 + timedelta(days=90))
    context = sealing.SealContext(party="gemeente-rotterdam", ref="r-1", version=1)
    old = sealing.seal(b"details", recipient=first.public, context=context)
    new = sealing.seal(b"details", recipient=second.public, context=context)
    assert sealing.open_sealed(old, private_keys=store.private_records(), context=context)

    store.shred(first.kid)
    assert [k.kid for k in store.keys()] == [second.kid]
    assert not (store.directory / f"{first.kid}.json").exists()
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(old, private_keys=store.private_records(), context=context)
    assert sealing.open_sealed(new, private_keys=store.private_records(), context=context) == (
        b"details"
    )


def test_another_process_rotating_is_seen_at_the_next_read(store: ReleaseKeys) -> None:
    reader = ReleaseKeys(store.owner_dir.parent, GATEWAY)
    assert reader.current(T0 + timedelta(days=1)).kid == store.current(T0).kid
    rotated = store.rotate(T0 + timedelta(days=1))
    assert reader.current(T0 + timedelta(days=2)).kid == rotated.kid


def test_a_key_from_before_rotation_counts_as_current_since_ever(tmp_path: Path) -> None:
    """A key written by earlier versions: ``<gateway>/hpke.json``, without not_before. It keeps
    working, retires at the first rotation, and shreds like any other."""
    private, public = sealing.new_key_pair()
    (tmp_path / GATEWAY).mkdir()
    (tmp_path / GATEWAY / "hpke.json").write_text(json.dumps(private))
    keys = ReleaseKeys(tmp_path, GATEWAY)
    assert keys.current(T0).kid == public["kid"] and keys.keys()[0].not_before == BEGINNING
    newer = keys.rotate(T0)
    assert set(keys.private_records()) == {public["kid"], newer.kid}
    keys.shred(public["kid"])
    assert not (tmp_path / GATEWAY / "hpke.json").exists()
    assert set(keys.private_records()) == {newer.kid}


def test_a_malformed_not_before_names_the_file(store: ReleaseKeys) -> None:
    (path,) = store.directory.glob("*.json")
    record = json.loads(path.read_text("utf-8"))
    path.unlink()
    path.write_text(json.dumps({**record, "not_before": "gisteren"}))
    with pytest.raises(ConfigurationError, match=f"{path.name}: not_before"):
        store.keys()


# -- crypto-shredding, end to end ----------------------------------------------------------------


def _sealed_signal(key: dict, ref: str, observed_at: datetime) -> dict:
    document = signal(ref, observed_at=observed_at.isoformat())
    # Ingest proves every envelope: a valid document, its subjects lined up with the signal's.
    return {**document, "sealed": real_envelope(key, "gemeente-rotterdam", document)}


def _opens(blob: bytes, ref: str, keys: ReleaseKeys) -> bool:
    context = sealing.SealContext(party="gemeente-rotterdam", ref=ref, version=1)
    try:
        sealing.open_sealed(blob, private_keys=keys.private_records(), context=context)
    except sealing.SealError:
        return False
    return True


def _runtime(tmp_path: Path, database_url: str, engine: Engine) -> tuple[Runtime, list[datetime]]:
    """A runtime with dev keys of its own (its keys rotate) and a clock the test moves."""
    covenant = load_covenant(REPO / "policies")
    create_dev_keys(
        covenant=covenant, keys_dir=tmp_path / "public", private_keys_dir=tmp_path / "private"
    )
    settings = Settings(
        database_url=database_url,
        policies_dir=REPO / "policies",
        keys_dir=tmp_path / "public",
        private_keys_dir=tmp_path / "private",
    )
    clock = [datetime.now(UTC) + timedelta(minutes=1)]
    return Runtime.build(settings, engine=engine, clock=lambda: clock[0]), clock


def _in_case(engine: Engine, ref: str, at: datetime) -> None:
    with engine.begin() as connection:
        (row,) = connection.execute(select(SignalRow.id).where(SignalRow.ref == ref)).all()
        connection.execute(
            insert(CaseSignalRow.__table__),
            [{"case_id": "case-1", "signal_id": row.id, "added_by": "riec-rr", "added_at": at}],
        )


def test_retention_shreds_a_retired_key_once_nothing_is_sealed_to_it(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    rt, clock = _runtime(tmp_path, database_url, engine)
    covenant, settings = rt.covenant, rt.settings
    keys = rt.release_keys
    t0 = clock[0]
    key_a = rt.release_key()

    with live_server(rt) as url:
        caller = Caller(url, covenant.gateway_id, tmp_path / "private")

        def push(*documents: dict) -> httpx.Response:
            body = batch(*documents)
            return caller.call("gemeente-rotterdam", "POST", "/v1/signals", body, now=clock[0])

        first = push(*(_sealed_signal(key_a, f"a-{i}", t0 - timedelta(days=1)) for i in (1, 2)))
        assert first.status_code == 200, first.text
        with engine.connect() as connection:
            backup = connection.execute(
                select(SignalRow.ref, SignalRow.sealed).order_by(SignalRow.ref)
            ).all()
        assert [_opens(bytes(blob), ref, keys) for ref, blob in backup] == [True, True]

        # A quarter later the retention run rotates: B is current, A retired but still accepted
        # for the grace period (an adapter that read /v1/gateway just before).
        clock[0] = t1 = t0 + timedelta(days=settings.release_key_rotation_days)
        report = run_retention(rt)
        assert report.keys.rotation_due and report.keys.rotated
        key_b = rt.release_key()
        assert key_b["kid"] == report.keys.rotated != key_a["kid"]
        published = httpx.get(url + "/v1/gateway").json()
        assert published["release_key"]["kid"] == key_b["kid"]
        assert [k["kid"] for k in published["release_keys"]["keys"]] == [
            key_a["kid"],
            key_b["kid"],
        ]
        assert not any("x25519_private" in k for k in published["release_keys"]["keys"])
        clock[0] = t1 + timedelta(days=1)
        late = push(_sealed_signal(key_a, "a-3", clock[0] - timedelta(hours=1)))
        assert late.status_code == 200, late.text

        # After the grace period an envelope sealed to A is refused, naming the place.
        clock[0] = t2 = t1 + timedelta(days=settings.release_key_grace_days, hours=1)
        refused = push(_sealed_signal(key_a, "a-4", t2 - timedelta(hours=1)))
        assert refused.status_code == 422
        assert [e["location"] for e in refused.json()["errors"]] == ["signals[0].sealed"]
        assert push(_sealed_signal(key_b, "b-1", t2 - timedelta(hours=1))).status_code == 200

        # A is past grace, but signals sealed to it are still stored: it is kept.
        report = run_retention(rt)
        assert report.keys.shredded == () and report.keys.kept == (key_a["kid"],)
        assert report.keys.rotation_due is False

        # a-1 becomes part of a case: it outlives the ordinary retention period.
        _in_case(engine, "a-1", t2)

        # Past A's retention horizon, retention deletes a-2 and a-3; a-1, in the case, is
        # re-sealed to the current key first, and then A is shredded.
        clock[0] = t3 = t1 + timedelta(days=2 + 730)
        dry = run_retention(rt, dry_run=True)
        assert dry.keys.shredded == (key_a["kid"],) and dry.keys.resealed == 0
        assert rt.release_keys.private_records().keys() == {key_a["kid"], key_b["kid"]}
        report = run_retention(rt)
        assert report.due == 2
        assert report.keys.shredded == (key_a["kid"],) and report.keys.kept == ()
        assert report.keys.resealed == 1
        key_c = rt.release_key()
        assert key_c["kid"] == report.keys.rotated

        # The backup of A's envelopes is ciphertext without a key; B's signal, and a-1 re-sealed
        # to C, still open.
        assert [_opens(bytes(blob), ref, keys) for ref, blob in backup] == [False, False]
        with engine.connect() as connection:
            stored = connection.execute(
                select(SignalRow.ref, SignalRow.sealed, SignalRow.sealed_kid).order_by(
                    SignalRow.ref
                )
            ).all()
        assert [(row.ref, row.sealed_kid) for row in stored] == [
            ("a-1", key_c["kid"]),
            ("b-1", key_b["kid"]),
        ]
        assert all(_opens(bytes(row.sealed), row.ref, keys) for row in stored)
        assert bytes(stored[0].sealed) != bytes(backup[0].sealed)
        published = httpx.get(url + "/v1/gateway").json()
        assert key_a["kid"] not in [k["kid"] for k in published["release_keys"]["keys"]]
        assert clock[0] == t3

    with engine.connect() as connection:
        shredded = audit.entries(connection, event="release_key.shredded")
        rotated = audit.entries(connection, event="release_key.rotated")
    assert [e["object"]["kid"] for e in shredded] == [key_a["kid"]]
    assert shredded[0]["detail"]["resealed"] == 1
    assert shredded[0]["detail"]["resealed_to"] == key_c["kid"]
    assert [e["detail"]["reason"] for e in rotated] == ["period", "period"]
    assert rotated[0]["object"]["kid"] == key_b["kid"]


def test_the_migration_records_the_key_of_envelopes_stored_before_it(
    fresh_engine: Engine,  # noqa: F811
) -> None:
    """0008: rows stored before it get the kid their envelope's header names; a blob without a
    valid header names no key (and so keeps no key from being shredded)."""
    config = alembic_config()
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    sealed = sealing.header("kid-of-2026q1") + b"\x00" * 64
    _insert(
        fresh_engine,
        {**_signal("gemeente-rotterdam", "old-1", 1, current=True), "sealed": sealed},
        _signal("gemeente-rotterdam", "old-2", 1, current=True),  # b"\x01" * 16: no header
    )
    migrate(fresh_engine)
    with fresh_engine.connect() as connection:
        found = connection.execute(
            select(SignalRow.ref, SignalRow.sealed_kid).order_by(SignalRow.ref)
        ).all()
        assert [tuple(row) for row in found] == [("old-1", "kid-of-2026q1"), ("old-2", None)]
        assert sealed_to(connection, "kid-of-2026q1") == 1


def test_a_failed_shredding_leaves_the_case_signal_readable_and_is_done_next_run(
    tmp_path: Path, database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt, clock = _runtime(tmp_path, database_url, engine)
    key_a = rt.release_key()
    t0 = clock[0]
    with live_server(rt) as url:
        caller = Caller(url, rt.covenant.gateway_id, tmp_path / "private")
        body = batch(_sealed_signal(key_a, "c-1", t0 - timedelta(days=1)))
        sent = caller.call("gemeente-rotterdam", "POST", "/v1/signals", body, now=t0)
        assert sent.status_code == 200, sent.text
    _in_case(engine, "c-1", t0)
    clock[0] = t0 + timedelta(days=rt.settings.release_key_rotation_days)
    assert run_retention(rt).keys.rotated  # B is current, A retired
    clock[0] += timedelta(days=731)  # past A's retention horizon; rotates to C as well

    def broken(self: ReleaseKeys, kid: str) -> None:
        raise OSError("read-only key store")

    monkeypatch.setattr(ReleaseKeys, "shred", broken)
    with pytest.raises(OSError):
        run_retention(rt)
    # The re-sealing was committed before the key was to go: the case signal opens under the
    # current key, A still exists, and no shredding was recorded.
    current = rt.release_key()
    with engine.connect() as connection:
        (row,) = connection.execute(select(SignalRow.sealed, SignalRow.sealed_kid)).all()
        assert audit.entries(connection, event="release_key.shredded") == []
    assert row.sealed_kid == current["kid"] and _opens(bytes(row.sealed), "c-1", rt.release_keys)
    assert key_a["kid"] in rt.release_keys.private_records()

    monkeypatch.undo()
    report = run_retention(rt)
    assert key_a["kid"] in report.keys.shredded and report.keys.resealed == 0
    assert key_a["kid"] not in rt.release_keys.private_records()
    with engine.connect() as connection:
        (row,) = connection.execute(select(SignalRow.sealed)).all()
    assert _opens(bytes(row.sealed), "c-1", rt.release_keys)
