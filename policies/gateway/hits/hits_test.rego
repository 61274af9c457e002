package gateway.hits_test

import rego.v1

import data.gateway.hits

# --- Input builders ----------------------------------------------------------------------------

now := "2026-03-01T10:00:00Z"

# The thresholds are pinned here, so these tests check the rule and not today's numbers in
# covenant/data.json (a privacy officer may change those without touching a test).
pinned_thresholds := {"min_parties": 2, "window_days": 365}

riec_analyst := {"party": "riec-rr", "type": "riec", "roles": ["analist"]}

signal(overrides) := object.union(
	{
		"party": "gemeente-rotterdam",
		"party_type": "gemeente",
		"form": "arbeidsuitbuiting",
		"indicators": ["HUIS-OVERBEWONING"],
		"observed_at": "2026-01-15T09:00:00Z",
		"minor": false,
		"certainty": "vermoeden",
	},
	overrides,
)

from_police := {"party": "politie-rotterdam", "party_type": "politie"}

from_labour_inspectorate := {"party": "arbeidsinspectie", "party_type": "arbeidsinspectie"}

cluster(id, signals) := {"id": id, "signals": signals}

request(requester, clusters) := {"now": now, "requester": requester, "clusters": clusters}

decide(requester, clusters) := d if {
	d := hits.decision with input as request(requester, clusters)
		with data.covenant.thresholds.hits as pinned_thresholds
}

cluster_codes(decision, id) := {r.code | some r in decision.hits[id].reasons}

request_codes(decision) := {r.code | some r in decision.reasons}

two_party_cluster := cluster("c1", [signal({}), signal(from_police)])

# --- Who may see hits --------------------------------------------------------------------------

test_a_riec_analyst_may_see_hits if {
	d := decide(riec_analyst, [two_party_cluster])
	d.allow
	"verzoeker-riec-analist" in request_codes(d)
	d.hits.c1.hit
}

test_the_riec_case_director_may_see_hits if {
	d := decide(object.union(riec_analyst, {"roles": ["casusregisseur"]}), [two_party_cluster])
	d.allow
}

test_a_municipality_may_not_see_hits if {
	d := decide({"party": "gemeente-rotterdam", "type": "gemeente", "roles": ["analist"]}, [two_party_cluster])
	not d.allow
	"verzoeker-geen-riec-analist" in request_codes(d)
	d.hits == {}
}

test_a_riec_adapter_may_not_see_hits if {
	d := decide(object.union(riec_analyst, {"roles": ["adapter"]}), [two_party_cluster])
	not d.allow
	"verzoeker-geen-riec-analist" in request_codes(d)
}

test_a_party_claiming_the_riec_type_is_checked_against_the_covenant if {
	d := decide({"party": "gemeente-rotterdam", "type": "riec", "roles": ["analist"]}, [two_party_cluster])
	not d.allow
}

# --- Two parties within the window -------------------------------------------------------------

test_signals_from_two_parties_within_the_window_are_a_hit if {
	d := decide(riec_analyst, [two_party_cluster])
	d.hits.c1.hit
	not d.hits.c1.urgent
	"hit-meerdere-partijen" in cluster_codes(d, "c1")
}

test_signals_from_one_party_are_no_hit if {
	d := decide(riec_analyst, [cluster("c1", [signal({}), signal({"indicators": ["HUIS-ONDERVERHUUR"]})])])
	not d.hits.c1.hit
	"te-weinig-partijen" in cluster_codes(d, "c1")
	not "hit-meerdere-partijen" in cluster_codes(d, "c1")
}

test_two_partners_further_apart_than_the_window_are_no_hit if {
	later := signal(object.union(from_police, {"observed_at": "2027-01-16T09:00:00Z"}))
	d := decide(riec_analyst, [cluster("c1", [signal({}), later])])
	not d.hits.c1.hit
	"te-weinig-partijen" in cluster_codes(d, "c1")
}

test_two_partners_just_within_the_window_of_each_other_are_a_hit if {
	# 365 days after 2026-01-15, to the second: the window includes its last day.
	later := signal(object.union(from_police, {"observed_at": "2027-01-15T09:00:00Z"}))
	d := decide(riec_analyst, [cluster("c1", [signal({}), later])])
	d.hits.c1.hit
	"hit-meerdere-partijen" in cluster_codes(d, "c1")
}

test_the_window_is_between_signals_not_back_from_today if {
	# Both signals are years before input.now, but within a year of each other.
	old := signal({"observed_at": "2019-02-01T09:00:00Z"})
	old_police := signal(object.union(from_police, {"observed_at": "2019-06-01T09:00:00Z"}))
	d := decide(riec_analyst, [cluster("c1", [old, old_police])])
	d.hits.c1.hit
}

test_any_window_with_enough_partners_makes_the_hit if {
	# Municipality early, labour inspectorate two years later, police in between but more than
	# a year from the first: the police and the inspectorate fall within one window.
	first := signal({"observed_at": "2024-01-01T09:00:00Z"})
	police := signal(object.union(from_police, {"observed_at": "2025-03-01T09:00:00Z"}))
	inspectorate := signal(object.union(from_labour_inspectorate, {"observed_at": "2026-01-01T09:00:00Z"}))
	d := decide(riec_analyst, [cluster("c1", [first, police, inspectorate])])
	d.hits.c1.hit
	d3 := hits.decision with input as request(riec_analyst, [cluster("c1", [first, police, inspectorate])])
		with data.covenant.thresholds.hits as {"min_parties": 3, "window_days": 365}
	not d3.hits.c1.hit
}

test_a_window_in_the_middle_can_hold_the_most_partners if {
	# Neither the year from the first signal nor the year up to the last holds more than one
	# partner; the year from the police signal holds three (its last day included).
	first := signal({"observed_at": "2022-01-01T09:00:00Z"})
	police := signal(object.union(from_police, {"observed_at": "2023-03-01T09:00:00Z"}))
	inspectorate := signal(object.union(from_labour_inspectorate, {"observed_at": "2023-09-01T09:00:00Z"}))
	care := signal({"party": "zorgcoordinator-rr", "party_type": "zorg", "observed_at": "2024-02-29T09:00:00Z"})
	last := signal({"party": "om-rotterdam", "party_type": "om", "observed_at": "2025-06-01T09:00:00Z"})
	signals := [first, police, inspectorate, care, last]
	hits.most_parties_in_window(signals) == 3 with data.covenant.thresholds.hits as pinned_thresholds
	d3 := hits.decision with input as request(riec_analyst, [cluster("c1", signals)])
		with data.covenant.thresholds.hits as {"min_parties": 3, "window_days": 365}
	d3.hits.c1.hit
	d4 := hits.decision with input as request(riec_analyst, [cluster("c1", signals)])
		with data.covenant.thresholds.hits as {"min_parties": 4, "window_days": 365}
	not d4.hits.c1.hit
}

test_the_threshold_comes_from_the_covenant_data if {
	d := hits.decision with input as request(riec_analyst, [two_party_cluster])
		with data.covenant.thresholds.hits as {"min_parties": 3, "window_days": 365}
	not d.hits.c1.hit
	three := cluster("c1", [signal({}), signal(from_police), signal(from_labour_inspectorate)])
	d3 := hits.decision with input as request(riec_analyst, [three])
		with data.covenant.thresholds.hits as {"min_parties": 3, "window_days": 365}
	d3.hits.c1.hit
}

test_human_smuggling_signals_do_not_count_towards_a_hit if {
	smuggling := signal(object.union(from_police, {"form": "mensensmokkel"}))
	d := decide(riec_analyst, [cluster("c1", [signal({}), smuggling])])
	not d.hits.c1.hit
	"signalen-niet-meegeteld" in cluster_codes(d, "c1")
}

# --- Urgency -----------------------------------------------------------------------------------

test_one_urgent_signal_is_a_hit if {
	urgent := signal({"form": "seksuele_uitbuiting", "minor": true})
	d := decide(riec_analyst, [cluster("c1", [urgent])])
	d.hits.c1.hit
	d.hits.c1.urgent
	"hit-urgent" in cluster_codes(d, "c1")
}

test_an_adult_in_sexual_exploitation_alone_is_no_hit if {
	d := decide(riec_analyst, [cluster("c1", [signal({"form": "seksuele_uitbuiting", "minor": false})])])
	not d.hits.c1.hit
	not d.hits.c1.urgent
	not "hit-urgent" in cluster_codes(d, "c1")
}

test_the_minor_in_sex_work_indicator_alone_is_urgent if {
	d := decide(riec_analyst, [cluster("c1", [signal({"form": "onbekend", "indicators": ["SEKS-MINDERJARIG"]})])])
	d.hits.c1.urgent
}

test_a_multi_party_hit_with_an_urgent_signal_is_marked_urgent if {
	urgent := signal(object.union(from_police, {"form": "seksuele_uitbuiting", "minor": true}))
	d := decide(riec_analyst, [cluster("c1", [signal({}), urgent])])
	d.hits.c1.hit
	d.hits.c1.urgent
	"hit-meerdere-partijen" in cluster_codes(d, "c1")
	"hit-urgent" in cluster_codes(d, "c1")
}

test_each_cluster_is_judged_on_its_own if {
	d := decide(riec_analyst, [two_party_cluster, cluster("c2", [signal({})])])
	d.hits.c1.hit
	not d.hits.c2.hit
}

# --- The gateway's own evaluation --------------------------------------------------------------

evaluate(clusters) := d if {
	d := hits.decision with input as {"now": now, "action": "evaluate", "clusters": clusters}
		with data.covenant.thresholds.hits as pinned_thresholds
}

test_the_gateway_evaluates_clusters_without_a_requester if {
	d := evaluate([two_party_cluster])
	d.allow
	request_codes(d) == {"evaluatie-door-gateway"}
	d.hits.c1.hit
}

test_without_an_action_the_requester_is_checked if {
	d := hits.decision with input as {"now": now, "clusters": [two_party_cluster]}
		with data.covenant.thresholds.hits as pinned_thresholds
	not d.allow
	d.hits == {}
}

test_an_unknown_action_is_judged_as_a_view if {
	d := hits.decision with input as {"now": now, "action": "alles", "clusters": [two_party_cluster]}
		with data.covenant.thresholds.hits as pinned_thresholds
	not d.allow
	"verzoeker-geen-riec-analist" in request_codes(d)
}

test_a_grouped_signal_counts_as_its_count if {
	smuggling := signal({"form": "mensensmokkel", "count": 3})
	d := evaluate([cluster("c1", [signal({"count": 2}), smuggling])])
	not d.hits.c1.hit
	some r in d.hits.c1.reasons
	r.code == "signalen-niet-meegeteld"
	startswith(r.message, "3 ")
}

test_a_grouped_signal_still_counts_one_party if {
	d := evaluate([cluster("c1", [signal({"count": 5})])])
	not d.hits.c1.hit
	"te-weinig-partijen" in cluster_codes(d, "c1")
}

# --- Independent partners (the same definition as the case policy and the release) -----------

from_riec := {"party": "riec-rr", "party_type": "riec"}

test_the_riecs_own_analysis_signal_is_no_second_partner if {
	d := decide(riec_analyst, [cluster("c1", [signal({}), signal(from_riec)])])
	not d.hits.c1.hit
	"te-weinig-partijen" in cluster_codes(d, "c1")
	"signalen-niet-onafhankelijk" in cluster_codes(d, "c1")
	some r in d.hits.c1.reasons
	r.code == "te-weinig-partijen"
	contains(r.message, "hoogstens 1 onafhankelijke")
}

test_two_partners_besides_the_riec_are_a_hit if {
	d := decide(riec_analyst, [cluster("c1", [signal({}), signal(from_riec), signal(from_police)])])
	d.hits.c1.hit
	"hit-meerdere-partijen" in cluster_codes(d, "c1")
	"signalen-niet-onafhankelijk" in cluster_codes(d, "c1")
}

test_a_cluster_without_riec_signals_names_no_dependent_signals if {
	d := decide(riec_analyst, [two_party_cluster])
	not "signalen-niet-onafhankelijk" in cluster_codes(d, "c1")
}

test_the_covenant_data_decide_whether_a_partner_is_independent if {
	disguised := signal({"party": "riec-rr", "party_type": "politie"})
	d := decide(riec_analyst, [cluster("c1", [signal({}), disguised])])
	not d.hits.c1.hit
}

test_an_urgent_riec_signal_still_makes_an_urgent_hit if {
	urgent := signal(object.union(from_riec, {"form": "seksuele_uitbuiting", "minor": true}))
	d := decide(riec_analyst, [cluster("c1", [urgent])])
	d.hits.c1.hit
	d.hits.c1.urgent
}

