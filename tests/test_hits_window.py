"""The hit window rule against a brute-force oracle (hypothesis): the most partners with a signal
within ``window_days`` of each other, whatever the spread of the signals in time.

The rule has two paths (policies/gateway/hits/hits.rego): a fast one when a window at either end
of the cluster already holds every partner, and one that opens a window at every moment. The
strategy spreads signals over up to three windows and over few or many partners, so that both
paths are taken; the test fails if either one counts a partner too many or too few.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.hits.summary import SignalFacts, evaluation_input
from gateway.policy import load_policy_set
from gateway.policy.embedded import new_opa_engine
from tests.support import REPO

PARTIES = ["politie-rotterdam", "gemeente-rotterdam", "arbeidsinspectie", "om-rotterdam", "zvh-rr"]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def opa() -> Any:
    engine = new_opa_engine(load_policy_set(REPO / "policies"))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def window_days(opa: Any) -> int:
    return opa.eval_query("x := data.covenant.thresholds.hits.window_days")[0]["x"]


def oracle(signals: list[tuple[int, str]], window: int) -> int:
    """Every signal's day opens a window of ``window`` days (both ends count)."""
    return max(
        (len({p for d, p in signals if start <= d <= start + window}) for start, _ in signals),
        default=0,
    )


def facts(signals: list[tuple[int, str]]) -> list[SignalFacts]:
    return [
        SignalFacts(
            cluster_id=1,
            party=party,
            party_type="x",
            form="arbeidsuitbuiting",
            indicators=(),
            minor=False,
            certainty="vermoeden",
            observed_at=NOW - timedelta(days=day, hours=3),
            municipality="GM0599",
        )
        for day, party in signals
    ]


signals_strategy = st.integers(min_value=1, max_value=len(PARTIES)).flatmap(
    lambda parties: st.lists(
        st.tuples(st.integers(min_value=0, max_value=1100), st.sampled_from(PARTIES[:parties])),
        min_size=0,
        max_size=40,
    )
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(signals=signals_strategy)
def test_the_window_counts_what_a_brute_force_search_counts(
    opa: Any, window_days: int, signals: list[tuple[int, str]]
) -> None:
    document = evaluation_input({1: facts(signals)}, now=NOW).document
    counted = document["clusters"][0]["signals"]
    most = opa.eval_query(
        "x := data.gateway.hits.most_parties_in_window(input.signals)", {"signals": counted}
    )[0]["x"]
    # Days are counted back from NOW, so day d is NOW - d: the oracle's order is reversed but
    # "within window_days of each other" is symmetric.
    assert most == oracle(signals, window_days)


def test_both_paths_are_taken_and_agree_with_the_oracle(opa: Any, window_days: int) -> None:
    """Fixed cases: one where an end window holds every partner, one where only a middle one
    holds the most (with partners exactly ``window_days`` apart), one where no window holds
    two."""
    w = window_days
    cases = {
        "ends hold all": [(0, PARTIES[0]), (5, PARTIES[1]), (w + 200, PARTIES[0])],
        # The middle window holds three partners only because its ends count (exactly w apart).
        "middle holds most": [
            (0, PARTIES[0]),
            (w + 10, PARTIES[1]),
            (w + 20, PARTIES[2]),
            (2 * w + 10, PARTIES[3]),
            (3 * w + 200, PARTIES[4]),
        ],
        "none holds all": [(0, PARTIES[0]), (w + 1, PARTIES[1]), (2 * w + 2, PARTIES[2])],
    }
    expected = {"ends hold all": 2, "middle holds most": 3, "none holds all": 1}
    for name, signals in cases.items():
        counted = evaluation_input({1: facts(signals)}, now=NOW).document["clusters"][0]["signals"]
        most = opa.eval_query(
            "x := data.gateway.hits.most_parties_in_window(input.signals)", {"signals": counted}
        )[0]["x"]
        assert most == oracle(signals, w) == expected[name], name
