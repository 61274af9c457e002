package gateway.embargo_test

import rego.v1

import data.gateway.embargo

# --- Input builders ----------------------------------------------------------------------------

now := "2026-03-01T10:00:00Z"

requester(party_id, roles) := {
	"party": party_id,
	"type": data.covenant.parties[party_id].type,
	"roles": roles,
}

om := requester("om-rotterdam", ["deelnemer"])

police := requester("politie-rotterdam", ["deelnemer"])

municipality := requester("gemeente-rotterdam", ["deelnemer"])

analyst := requester("riec-rr", ["analist"])

place(who, overrides) := {
	"action": "place",
	"now": now,
	"requester": who,
	"embargo": object.union({"target_kind": "subject", "reason": "lopend_onderzoek", "until": "2026-06-01"}, overrides),
}

change(action, who, overrides) := {
	"action": action,
	"now": now,
	"requester": who,
	"embargo": object.union(
		{
			"target_kind": "subject",
			"reason": "lopend_onderzoek",
			"placed_by": "om-rotterdam",
			"placed_by_type": "om",
			"current_until": "2026-04-01",
			"lifted": false,
			"until": "2026-05-01",
		},
		overrides,
	),
}

codes(d) := {r.code | some r in d.reasons}

# --- Placing -------------------------------------------------------------------------------------

test_the_om_places_an_embargo_on_a_subject if {
	d := embargo.decision with input as place(om, {})
	d.allow
	"embargo-geplaatst" in codes(d)
	d.allowed_types == ["om", "politie"]
}

test_the_police_place_an_embargo_on_a_signal_and_a_case if {
	embargo.allow with input as place(police, {"target_kind": "signal"})
	embargo.allow with input as place(police, {"target_kind": "case"})
}

test_a_municipality_may_not_place_an_embargo if {
	d := embargo.decision with input as place(municipality, {})
	not d.allow
	"embargo-niet-bevoegd" in codes(d)
	d.allowed_types == []
}

test_a_role_the_covenant_does_not_grant_does_not_count if {
	d := embargo.decision with input as place(requester("om-rotterdam", ["analist"]), {})
	"embargo-niet-bevoegd" in codes(d)
}

test_a_mislabelled_requester_type_does_not_count if {
	d := embargo.decision with input as place({"party": "gemeente-rotterdam", "type": "om", "roles": ["deelnemer"]}, {})
	"embargo-niet-bevoegd" in codes(d)
}

test_an_unknown_reason_is_refused if {
	d := embargo.decision with input as place(om, {"reason": "geen_reden"})
	"embargo-reden-onbekend" in codes(d)
}

test_an_unknown_target_kind_is_refused if {
	d := embargo.decision with input as place(om, {"target_kind": "adres"})
	"embargo-doel-onbekend" in codes(d)
}

test_an_end_date_in_the_past_is_refused if {
	d := embargo.decision with input as place(om, {"until": "2026-02-28"})
	"embargo-einddatum-verleden" in codes(d)
}

test_an_embargo_until_today_is_allowed if {
	embargo.allow with input as place(om, {"until": "2026-03-01"})
}

test_an_embargo_longer_than_the_covenant_allows_is_refused if {
	d := embargo.decision with input as place(om, {"until": "2027-06-01"})
	"embargo-te-lang" in codes(d)
}

test_an_end_date_that_is_no_date_is_refused if {
	d := embargo.decision with input as place(om, {"until": "morgen"})
	"embargo-einddatum-ongeldig" in codes(d)
}

test_nothing_is_allowed_without_input if {
	not embargo.allow with input as {"now": now}
}

test_an_unknown_action_is_refused if {
	d := embargo.decision with input as {"action": "vergeten", "now": now, "requester": om}
	"embargo-actie-onbekend" in codes(d)
}

# --- Extending and lifting -------------------------------------------------------------------------

test_the_placing_party_extends_its_embargo if {
	d := embargo.decision with input as change("extend", om, {})
	d.allow
	"embargo-verlengd" in codes(d)
}

test_an_extension_must_be_later if {
	d := embargo.decision with input as change("extend", om, {"until": "2026-03-15"})
	"embargo-verlenging-niet-later" in codes(d)
}

test_the_om_lifts_an_embargo_the_police_placed if {
	d := embargo.decision with input as change("lift", om, {"placed_by": "politie-rotterdam", "placed_by_type": "politie"})
	d.allow
	"embargo-opgeheven" in codes(d)
}

test_the_police_may_not_lift_the_oms_embargo if {
	d := embargo.decision with input as change("lift", police, {})
	"embargo-van-ander" in codes(d)
}

test_a_lifted_embargo_is_not_changed_again if {
	d := embargo.decision with input as change("lift", om, {"lifted": true})
	"embargo-niet-lopend" in codes(d)
}

test_an_expired_embargo_is_not_extended if {
	d := embargo.decision with input as change("extend", om, {"current_until": "2026-02-28"})
	"embargo-niet-lopend" in codes(d)
}

test_a_municipality_may_not_lift_an_embargo if {
	d := embargo.decision with input as change("lift", municipality, {})
	"embargo-niet-bevoegd" in codes(d)
	not "embargo-van-ander" in codes(d)
}

# --- Listing --------------------------------------------------------------------------------------

test_the_police_list_the_embargoes if {
	d := embargo.decision with input as {"action": "list", "now": now, "requester": police}
	d.allow
	"embargo-inzage" in codes(d)
}

test_an_analyst_may_not_list_the_embargoes if {
	not embargo.allow with input as {"action": "list", "now": now, "requester": analyst}
}

# --- The marker -------------------------------------------------------------------------------------

test_an_analyst_sees_only_the_contact_text if {
	d := embargo.decision with input as {"action": "mark", "now": now, "requester": analyst}
	d.allow
	d.details == false
	d.marker_text == "embargo, neem contact op met het OM"
	"embargo-marker" in codes(d)
}

test_the_om_sees_the_details if {
	d := embargo.decision with input as {"action": "mark", "now": now, "requester": om}
	d.details == true
	"embargo-marker-details" in codes(d)
}

test_a_mislabelled_reader_sees_no_details if {
	d := embargo.decision with input as {"action": "mark", "now": now, "requester": {"party": "riec-rr", "type": "om", "roles": []}}
	d.details == false
}
