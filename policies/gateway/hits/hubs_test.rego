package gateway.hits_hubs_test

import rego.v1

import data.gateway.hits

privacy_officer := {"party": "gemeente-rotterdam", "type": "gemeente", "roles": ["privacy_officer"]}

riec_analyst := {"party": "riec-rr", "type": "riec", "roles": ["analist"]}

participant := {"party": "woningcorporatie-maasoever", "type": "woningcorporatie", "roles": ["deelnemer"]}

unsigned := {"party": "gemeente-alblasserdam", "type": "gemeente", "roles": ["privacy_officer"]}

step(action, requester, entry) := {
	"action": action,
	"now": "2026-03-01T10:00:00Z",
	"requester": requester,
	"clusters": [],
	"entry": entry,
}

shelter := {"mark": "register", "kind": "adres", "reason": "opvang", "expires": "2027-03-01", "days": 365}

decide(input_document) := d if {
	d := hits.decision with input as input_document
}

codes(d) := {r.code | some r in d.reasons}

test_a_privacy_officer_registers_a_shelter_address if {
	d := decide(step("register", privacy_officer, shelter))
	d.allow
	"register-bijhouden" in codes(d)
	d.hits == {}
}

test_an_analyst_does_not_keep_the_register if {
	d := decide(step("register", riec_analyst, shelter))
	not d.allow
	"verzoeker-houdt-register-niet-bij" in codes(d)
}

test_a_party_that_did_not_sign_keeps_no_register if {
	d := decide(step("register", unsigned, shelter))
	not d.allow
}

test_a_reason_outside_the_covenant_is_refused if {
	d := decide(step("register", privacy_officer, object.union(shelter, {"reason": "zomaar"})))
	not d.allow
	"reden-onbekend" in codes(d)
}

test_a_kind_that_does_not_link_is_not_registered if {
	d := decide(step("register", privacy_officer, object.union(shelter, {"kind": "naam"})))
	not d.allow
	"soort-koppelt-niet" in codes(d)
}

test_an_expiry_past_the_term_or_in_the_past_is_refused if {
	too_long := decide(step("register", privacy_officer, object.union(shelter, {"days": 5000})))
	not too_long.allow
	"einddatum-ongeldig" in codes(too_long)
	past := decide(step("register", privacy_officer, object.union(shelter, {"days": -1})))
	not past.allow
}

test_withdrawing_a_register_entry_is_for_privacy_officers if {
	decide(step("withdraw", privacy_officer, {"mark": "register", "kind": "adres"})).allow
	not decide(step("withdraw", riec_analyst, {"mark": "register", "kind": "adres"})).allow
}

test_the_register_is_listed_for_privacy_officers if {
	decide(step("list_register", privacy_officer, {})).allow
	not decide(step("list_register", participant, {})).allow
}

test_an_analyst_or_a_privacy_officer_reviews_a_candidate if {
	confirm := {"mark": "bevestigd", "verdict": "bevestigd", "kind": "adres", "reason": "structuur_opvang"}
	d := decide(step("review", riec_analyst, confirm))
	d.allow
	"hub-beoordelen" in codes(d)
	decide(step("review", privacy_officer, confirm)).allow
	not decide(step("review", participant, confirm)).allow
	decide(step("list_candidates", riec_analyst, {})).allow
	not decide(step("list_candidates", participant, {})).allow
}

test_a_review_needs_a_covenant_reason_and_a_known_verdict if {
	odd := {"mark": "bevestigd", "verdict": "misschien", "kind": "adres", "reason": "geen"}
	d := decide(step("review", riec_analyst, odd))
	not d.allow
	count({"reden-onbekend", "oordeel-onbekend"} - codes(d)) == 0
}

test_withdrawing_a_review_is_for_reviewers if {
	decide(step("withdraw", riec_analyst, {"mark": "verworpen", "kind": "adres"})).allow
	not decide(step("withdraw", participant, {"mark": "verworpen", "kind": "adres"})).allow
}

test_hub_steps_do_not_open_the_hits_to_a_privacy_officer if {
	d := decide({"action": "view", "now": "2026-03-01T10:00:00Z", "requester": privacy_officer, "clusters": []})
	not d.allow
	"verzoeker-geen-riec-analist" in codes(d)
}
