"""Linkage and hits against the synthetic region's ground truth (issue 5, item 5): a generated
region is pushed through the partner adapters to a real server; every planted pattern becomes one
cluster and one hit, no hit joins two patterns, and the shelter address is a hub that links
nobody to anybody."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.demo_data import generate_region
from gateway.storage.tables import HitRow, LinkKeyRow, SignalRow, SubjectRow
from tests.test_region_e2e import needles, push_region

SEED = 5150


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("region")
    generate_region(out, seed=SEED, size="small")
    return out, json.loads((out / "ground_truth.json").read_text("utf-8"))


def test_every_planted_pattern_is_one_hit_and_the_shelter_is_a_hub(server, keys, region):
    url, rt = server
    out, truth = region
    push_region(url, rt, keys[1], out)
    signals, hits, link_keys = SignalRow.__table__, HitRow.__table__, LinkKeyRow.__table__
    with rt.engine.connect() as connection:
        cluster_of = {
            (r.party, r.ref): r.cluster_id
            for r in connection.execute(
                select(signals.c.party, signals.c.ref, signals.c.cluster_id).where(
                    signals.c.is_current
                )
            )
        }
        open_hits = {
            r.cluster_id: r for r in connection.execute(select(hits).where(hits.c.status == "open"))
        }
        hubs = list(connection.execute(select(link_keys).where(link_keys.c.hub_id.is_not(None))))
    assert None not in cluster_of.values()  # every current signal is in a cluster

    pattern_cluster: dict[str, int] = {}
    for pattern in truth["patterns"]:
        stored = [(r["party"], r["ref"]) for r in pattern["records"]]
        stored = [key for key in stored if key in cluster_of]  # care without consent is not sent
        clusters = {cluster_of[key] for key in stored}
        assert len(clusters) == 1, (pattern["id"], len(clusters))
        (cluster,) = clusters
        assert cluster in open_hits, pattern["id"]
        assert open_hits[cluster].signals == len(stored), pattern["id"]
        pattern_cluster[pattern["id"]] = cluster
    # No hit joins two planted patterns: they share no subject.
    assert len(set(pattern_cluster.values())) == len(pattern_cluster)

    # The shelter: one address on more signals than the hub threshold. It is flagged, and the
    # unrelated people registered there are not pulled into each other's or a pattern's cluster.
    threshold = rt.policy.data["covenant"]["linkage"]["hub_threshold"]
    sheltered = [(r["party"], r["ref"]) for r in truth["hub"]["records"]]
    assert len(sheltered) > threshold
    assert any(h.kind == "adres" and h.signals > threshold for h in hubs)
    unrelated = [
        cluster_of[(r["party"], r["ref"])]
        for r in truth["hub"]["records"]
        if r["pattern"] is None and (r["party"], r["ref"]) in cluster_of
    ]
    assert not set(unrelated) & set(pattern_cluster.values())
    # Unrelated shelter residents stay apart (a resident may have two records of their own).
    assert max(Counter(unrelated).values()) <= 2, Counter(unrelated).most_common(3)


def test_the_riec_views_of_the_region_hold_no_pseudonym_or_identifier(server, keys, region, caller):
    """Every hit, its history and network view, the hubs and the regional figures, as the RIEC
    receives them: no
    generated identifier, name or free text, and no stored pseudonym in any encoding."""
    url, rt = server
    out, truth = region
    push_region(url, rt, keys[1], out)
    analyst = {"roles": ["analist"]}

    def get(target: str) -> str:
        response = caller.call("riec-rr", "GET", target, **analyst)
        assert response.status_code == 200, response.text
        return response.text

    listed = json.loads(get("/v1/hits?status=alle&limit=200"))
    assert len(listed["hits"]) >= len(truth["patterns"])
    texts = [get("/v1/hits?status=alle&limit=200"), get("/v1/hubs")]
    # The regional monitor too, down to its finest cells.
    for dimensions in ("gemeente,vorm,maand", "indicator,partijtype", "barriere,zekerheid"):
        texts.append(get(f"/v1/stats?dimensions={dimensions}"))
    for hit in listed["hits"]:
        texts.append(get(f"/v1/hits/{hit['id']}"))
        texts.append(get(f"/v1/hits/{hit['id']}/network"))
    received = "\n".join(texts)
    with rt.engine.connect() as connection:
        stored = [
            bytes(p) for p in connection.execute(select(SubjectRow.__table__.c.pseudonym)).scalars()
        ]
    assert stored
    encodings = {
        encoded
        for p in stored
        for encoded in (base64.urlsafe_b64encode(p).decode().rstrip("="), p.hex())
    }
    leaked_pseudonyms = [e for e in encodings if e in received]
    leaked_values = [v for v in needles(truth) if v in received]
    assert leaked_pseudonyms == [] and leaked_values == []
