package gateway.stats_test

import rego.v1

import data.gateway.stats

# --- Input builders ----------------------------------------------------------------------------

requester(party_id, roles) := {
	"party": party_id,
	"type": data.covenant.parties[party_id].type,
	"signatory": data.covenant.parties[party_id].signatory,
	"roles": roles,
}

riec_analyst := requester("riec-rr", ["analist"])

# Alblasserdam takes part without signing: aggregates only.
outside_municipality := requester("gemeente-alblasserdam", ["deelnemer"])

ask(who, dimensions) := {"requester": who, "dimensions": dimensions, "now": "2026-03-01T10:00:00Z"}

# The dimension rules are pinned, so these tests check the logic and not today's list.
pinned_stats := {
	"max_dimensions": 3,
	"dimensions": {
		"vorm": {"signatory_only": false},
		"jaar": {"signatory_only": false},
		"gemeente": {"signatory_only": false},
		"indicator": {"signatory_only": true},
		"partijtype": {"signatory_only": true},
	},
}

decide(request) := d if {
	d := stats.decision with input as request with data.covenant.stats as pinned_stats
}

codes(d) := {r.code | some r in d.reasons}

# --- Tests -------------------------------------------------------------------------------------

test_a_signatory_gets_the_dimensions_it_asks_for if {
	d := decide(ask(riec_analyst, ["vorm", "indicator"]))
	d.allow
	d.dimensions == {"vorm", "indicator"}
	"convenantpartner" in codes(d)
	"kleine-aantallen-onderdrukt" in codes(d)
}

test_the_small_cell_threshold_comes_from_the_covenant if {
	d := decide(ask(riec_analyst, ["vorm"])) with data.covenant.small_cell_threshold as 10
	d.small_cell_threshold == 10
}

test_a_non_signatory_gets_aggregates_by_open_dimensions if {
	d := decide(ask(outside_municipality, ["vorm", "jaar"]))
	d.allow
	d.dimensions == {"vorm", "jaar"}
	"alleen-geanonimiseerde-aggregaten" in codes(d)
}

test_a_non_signatory_does_not_get_signatory_only_dimensions if {
	d := decide(ask(outside_municipality, ["vorm", "indicator"]))
	d.allow
	d.dimensions == {"vorm"}
	"dimensie-alleen-convenantpartners" in codes(d)
}

test_a_signatory_is_not_refused_a_signatory_only_dimension if {
	d := decide(ask(riec_analyst, ["partijtype"]))
	not "dimensie-alleen-convenantpartners" in codes(d)
}

test_a_non_signatory_asking_only_closed_dimensions_gets_nothing if {
	d := decide(ask(outside_municipality, ["indicator"]))
	not d.allow
	d.dimensions == set()
}

test_a_party_claiming_to_have_signed_is_checked_against_the_covenant if {
	claims := object.union(outside_municipality, {"signatory": true})
	d := decide(ask(claims, ["indicator"]))
	not d.allow
	"dimensie-alleen-convenantpartners" in codes(d)
}

test_an_unknown_dimension_is_dropped if {
	d := decide(ask(riec_analyst, ["vorm", "bsn"]))
	d.allow
	d.dimensions == {"vorm"}
	"dimensie-onbekend" in codes(d)
}

test_a_known_dimension_is_not_called_unknown if {
	d := decide(ask(riec_analyst, ["vorm"]))
	not "dimensie-onbekend" in codes(d)
}

test_an_unknown_requester_gets_nothing if {
	d := decide(ask({"party": "reisbureau-zon", "type": "gemeente", "signatory": true, "roles": ["analist"]}, ["vorm"]))
	not d.allow
	"verzoeker-onbekend" in codes(d)
}

test_a_known_requester_is_not_called_unknown if {
	d := decide(ask(riec_analyst, ["vorm"]))
	not "verzoeker-onbekend" in codes(d)
}

test_an_adapter_may_not_ask_for_statistics if {
	d := decide(ask(requester("gemeente-rotterdam", ["adapter"]), ["vorm"]))
	not d.allow
	"rol-niet-voor-statistiek" in codes(d)
}

test_a_privacy_officer_may_ask_for_statistics if {
	d := decide(ask(requester("gemeente-rotterdam", ["privacy_officer"]), ["vorm"]))
	d.allow
	not "rol-niet-voor-statistiek" in codes(d)
}

test_asking_for_no_dimension_is_refused if {
	d := decide(ask(riec_analyst, []))
	not d.allow
	"geen-dimensies" in codes(d)
}

test_asking_for_one_dimension_is_not_empty if {
	d := decide(ask(riec_analyst, ["jaar"]))
	not "geen-dimensies" in codes(d)
}

test_combining_too_many_dimensions_is_refused if {
	d := decide(ask(riec_analyst, ["vorm", "jaar", "gemeente", "indicator"]))
	not d.allow
	"te-veel-dimensies" in codes(d)
}

test_combining_the_maximum_number_of_dimensions_is_allowed if {
	d := decide(ask(riec_analyst, ["vorm", "jaar", "gemeente"]))
	d.allow
	not "te-veel-dimensies" in codes(d)
}

test_a_threshold_below_two_releases_nothing if {
	d := decide(ask(riec_analyst, ["vorm"])) with data.covenant.small_cell_threshold as 1
	not d.allow
	"drempel-kleine-aantallen-ongeldig" in codes(d)
}

test_a_valid_threshold_is_accepted if {
	d := decide(ask(riec_analyst, ["vorm"]))
	not "drempel-kleine-aantallen-ongeldig" in codes(d)
}
