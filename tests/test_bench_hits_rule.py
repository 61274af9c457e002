"""The linkage bench's fill judges hits with the ``hits`` policy itself, but only for clusters
that pass a cheap pre-filter (``bench.linkage_world.may_be_hit``: enough parties, or a signal an
urgency rule could match). The pre-filter must never skip a cluster the policy calls a hit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.linkage_gateway import SignalFacts, evaluation_input
from bench.linkage_world import POLICY, URGENT_INDICATOR, may_be_hit
from gateway.policy.engine import PolicyEngine
from gateway.runtime import open_policy
from gateway.settings import Settings
from gateway.vocabulary import Form

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PARTIES = ["politie-rotterdam", "gemeente-rotterdam", "zorgcoordinator-rr", "arbeidsinspectie"]
INDICATORS = [URGENT_INDICATOR, *POLICY.all_indicators[:12]]


@cache
def policy() -> PolicyEngine:
    return open_policy(Settings(policies_dir=POLICY.directory))


signal = st.builds(
    lambda party, form, indicators, minor, days: SignalFacts(
        0,
        party,
        POLICY.party_types[party],
        form,
        tuple(indicators),
        minor,
        "vermoeden",
        NOW - timedelta(days=days),
        "GM0599",
    ),
    st.sampled_from(PARTIES),
    st.sampled_from([f.value for f in Form]),
    st.lists(st.sampled_from(INDICATORS), max_size=3, unique=True),
    st.booleans(),
    st.integers(min_value=1, max_value=900),
)
clusters = st.lists(st.lists(signal, min_size=1, max_size=6), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters)
def test_the_fill_never_skips_a_cluster_the_hits_policy_calls_a_hit(generated):
    facts = {cid: members for cid, members in enumerate(generated, start=1)}
    evaluation = evaluation_input(facts, now=NOW)
    decision = policy().decide("hits", evaluation.document)
    judged = decision.document["hits"]
    for entry, cids in evaluation.clusters.items():
        for cid in cids:
            if judged[entry]["hit"] is True:
                assert may_be_hit(facts[cid]), facts[cid]


def test_the_pre_filter_does_skip_clusters():
    """It is a filter at all: one party, no urgency condition met."""
    lone = SignalFacts(
        1, PARTIES[0], "politie", "arbeidsuitbuiting", ("ARB-ONDERBETALING",), False,
        "vermoeden", NOW, "GM0599",
    )  # fmt: skip
    assert not may_be_hit([lone, lone])
