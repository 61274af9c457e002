package gateway.case_test

import rego.v1

import data.gateway.case

# --- Input builders ----------------------------------------------------------------------------
#
# A standard case: opened by the RIEC's case director from an open hit with signals of the
# municipality, the police and the RIEC, for the chain approach, with the police, the
# municipality and the OM as participants. Each test changes only what it is about.

now := "2026-03-01T10:00:00Z"

director := {"party": "riec-rr", "type": "riec", "signatory": true, "roles": ["casusregisseur"], "sub_alias": "persoon-1"}

riec_privacy_officer := {"party": "riec-rr", "type": "riec", "signatory": true, "roles": ["privacy_officer"], "sub_alias": "persoon-2"}

police_privacy_officer := {"party": "politie-rotterdam", "type": "politie", "signatory": true, "roles": ["privacy_officer"], "sub_alias": "persoon-3"}

police_adapter := {"party": "politie-rotterdam", "type": "politie", "signatory": true, "roles": ["adapter"], "sub_alias": "persoon-4"}

police_participant := {"party": "politie-rotterdam", "type": "politie", "signatory": true, "roles": ["deelnemer"], "sub_alias": "persoon-5"}

municipal_participant := {"party": "gemeente-rotterdam", "type": "gemeente", "signatory": true, "roles": ["deelnemer"], "sub_alias": "persoon-6"}

standard_hit := {
	"id": "hit-00000000000000a1",
	"status": "open",
	"urgent": false,
	"signals": 3,
	"parties": 3,
	"party_types": ["gemeente", "politie", "riec"],
	"sources": [
		{"party": "gemeente-rotterdam", "form": "arbeidsuitbuiting"},
		{"party": "politie-rotterdam", "form": "arbeidsuitbuiting"},
		{"party": "riec-rr", "form": "arbeidsuitbuiting"},
	],
}

source(party) := {"party": party, "form": "arbeidsuitbuiting"}

standard_case := {
	"id": "case-00000000000000c1",
	"stage": "dossiervorming",
	"purpose": "ketenaanpak",
	"participants": ["gemeente-rotterdam", "om-rotterdam", "politie-rotterdam"],
	"split_meeting": false,
	"hit": standard_hit,
	"approvals": [],
}

four_eyes := [
	{"role": "casusregisseur", "party": "riec-rr", "sub_alias": "persoon-1"},
	{"role": "privacy_officer", "party": "riec-rr", "sub_alias": "persoon-2"},
]

# The numbers and lists a test is about are pinned here, so the tests check the rules and not
# today's numbers in covenant/data.json.
pinned_proportionality := {"min_independent_parties": 2, "not_independent_types": ["riec"]}

pinned_required_approvals := ["casusregisseur", "privacy_officer"]

request(action, requester, case_overrides, step) := object.union(
	{
		"action": action,
		"now": now,
		"requester": requester,
		"case": object.union(standard_case, case_overrides),
	},
	step,
)

decide(input_document) := d if {
	d := case.decision with input as input_document
		with data.covenant.thresholds.proportionality as pinned_proportionality
		with data.covenant.release.required_approvals as pinned_required_approvals
		with data.covenant.release.approvals_by_different_persons as true
}

codes(d) := {r.code | some r in d.reasons}

message_of(d, code) := [r.message | some r in d.reasons; r.code == code][0]

open_case(case_overrides) := decide(request("open", director, case_overrides, {}))

transition(from, to, case_overrides) := decide(request("transition", director, object.union({"stage": from}, case_overrides), {"to_stage": to}))

approve(requester, role, stage, approvals) := decide(request("approve", requester, {"stage": stage, "approvals": approvals}, {"approval": {"role": role}}))

add(requester, signals, case_overrides) := decide(request("add_signals", requester, case_overrides, {"signals": signals}))

own_signal := {"party": "politie-rotterdam", "party_type": "politie", "form": "arbeidsuitbuiting", "indicators": ["ARB-ONDERBETALING"]}

give(requester, intervention, stage) := decide(request("assign_intervention", requester, {"stage": stage}, {"intervention": intervention}))

report(requester, intervention, stage) := decide(request("update_intervention", requester, {"stage": stage}, {"intervention": intervention}))

police_intervention := {"party": "politie-rotterdam", "kind": "strafrechtelijk", "status": "toegewezen"}

police_update(previous, status) := object.union(police_intervention, {"status": status, "previous_status": previous})

# A covenant in which Alblasserdam (not a signatory) holds every role, so that only the missing
# signature can be the reason for a refusal.
parties_with_alblasserdam_roles := object.union(data.covenant.parties, {"gemeente-alblasserdam": {"roles": ["adapter", "privacy_officer", "deelnemer"]}})

with_alblasserdam := ["gemeente-alblasserdam", "gemeente-rotterdam", "politie-rotterdam"]

# =============================================================================================
# Any action
# =============================================================================================

test_an_unknown_action_is_refused if {
	d := decide(request("heropenen", director, {}, {}))
	not d.allow
	codes(d) == {"actie-onbekend"}
}

test_a_missing_action_is_refused if {
	d := case.decision with input as {"requester": director, "case": standard_case}
	not d.allow
	"actie-onbekend" in codes(d)
}

test_a_known_action_is_not_unknown if {
	d := open_case({})
	not "actie-onbekend" in codes(d)
	d.action == "open"
}

test_an_empty_or_malformed_input_is_refused_with_reasons if {
	empty := case.decision with input as {}
	not empty.allow
	"actie-onbekend" in codes(empty)
	malformed := decide({"action": "open", "requester": 7, "case": "x"})
	not malformed.allow
	{"verzoeker-geen-casusregisseur", "hit-niet-open", "doel-onbekend", "geen-deelnemers"} & codes(malformed) == {"verzoeker-geen-casusregisseur", "hit-niet-open", "doel-onbekend", "geen-deelnemers"}
	malformed.next_stages == []
	malformed.aggregates_only == []
}

# =============================================================================================
# open
# =============================================================================================

test_the_case_director_opens_a_case_from_an_open_hit if {
	d := open_case({})
	d.allow
	codes(d) == {"doelbinding", "proportioneel"}
	d.aggregates_only == []
	d.next_stages == ["weging", "gesloten"]
}

test_only_the_case_director_opens_a_case if {
	for_municipality := decide(request("open", object.union(municipal_participant, {"roles": ["casusregisseur"]}), {}, {}))
	not for_municipality.allow
	"verzoeker-geen-casusregisseur" in codes(for_municipality)
	for_analyst := decide(request("open", object.union(director, {"roles": ["analist"]}), {}, {}))
	not for_analyst.allow
	"verzoeker-geen-casusregisseur" in codes(for_analyst)
}

test_a_party_claiming_the_riec_type_is_checked_against_the_covenant if {
	d := decide(request("open", {"party": "gemeente-rotterdam", "type": "riec", "signatory": true, "roles": ["casusregisseur"]}, {}, {}))
	not d.allow
	"verzoeker-geen-casusregisseur" in codes(d)
}

test_a_case_is_opened_only_from_an_open_hit if {
	d := open_case({"hit": {"status": "vervallen"}})
	not d.allow
	"hit-niet-open" in codes(d)
	not "hit-niet-open" in codes(open_case({}))
}

test_an_unknown_purpose_is_refused if {
	d := open_case({"purpose": "handhaving"})
	not d.allow
	"doel-onbekend" in codes(d)
	not "doel-onbekend" in codes(open_case({}))
}

test_the_riec_analysis_is_no_case_purpose if {
	d := open_case({"purpose": "riec_analyse"})
	not d.allow
	"doel-niet-voor-casus" in codes(d)
	not "doel-onbekend" in codes(d)
}

test_investigation_is_a_case_purpose if {
	d := open_case({"purpose": "opsporing_vervolging"})
	d.allow
	not "doel-niet-voor-casus" in codes(d)
	"doelbinding" in codes(d)
}

test_the_case_purposes_come_from_the_covenant_data if {
	d := case.decision with input as request("open", director, {"purpose": "opsporing_vervolging"}, {})
		with data.covenant.cases.purposes as ["ketenaanpak"]
	"doel-niet-voor-casus" in codes(d)
}

test_a_case_needs_participants if {
	d := open_case({"participants": []})
	not d.allow
	"geen-deelnemers" in codes(d)
	not "geen-deelnemers" in codes(open_case({}))
}

test_an_unknown_participant_is_refused_by_name if {
	d := open_case({"participants": ["politie-rotterdam", "stichting-onbekend"]})
	not d.allow
	"deelnemer-onbekend" in codes(d)
	contains(message_of(d, "deelnemer-onbekend"), "stichting-onbekend")
	not "deelnemer-onbekend" in codes(open_case({}))
}

test_a_non_signatory_participant_is_allowed_but_flagged if {
	d := open_case({"participants": with_alblasserdam})
	d.allow
	"deelnemer-niet-ondertekenaar" in codes(d)
	contains(message_of(d, "deelnemer-niet-ondertekenaar"), "gemeente-alblasserdam")
	d.aggregates_only == ["gemeente-alblasserdam"]
}

test_signatory_participants_are_not_flagged if {
	d := open_case({})
	not "deelnemer-niet-ondertekenaar" in codes(d)
}

# --- Proportionality ---------------------------------------------------------------------------

test_a_hit_of_one_partner_and_the_riec_is_not_proportionate if {
	d := open_case({"hit": {"sources": [source("gemeente-rotterdam"), source("riec-rr")]}})
	not d.allow
	"proportionaliteit-te-weinig-partners" in codes(d)
	contains(message_of(d, "proportionaliteit-te-weinig-partners"), "1 onafhankelijke")
}

test_a_hit_of_two_partners_without_the_riec_is_proportionate if {
	d := open_case({"hit": {"sources": [source("gemeente-rotterdam"), source("politie-rotterdam")]}})
	d.allow
	"proportioneel" in codes(d)
}

test_an_urgent_hit_needs_no_second_partner if {
	d := open_case({"hit": {"sources": [source("zorgcoordinator-rr")], "urgent": true}})
	d.allow
	"urgent-uitzondering-proportionaliteit" in codes(d)
	not "proportionaliteit-te-weinig-partners" in codes(d)
}

# The hit's own count of partners (the RIEC and human smuggling included) is not used.
test_the_number_of_partners_of_the_hit_does_not_count_only_its_sources if {
	d := open_case({"hit": {"parties": 5, "sources": [source("gemeente-rotterdam")]}})
	"proportionaliteit-te-weinig-partners" in codes(d)
}

test_a_partner_with_only_human_smuggling_is_no_source if {
	smuggling := {"party": "politie-rotterdam", "form": "mensensmokkel"}
	d := open_case({"hit": {"sources": [source("gemeente-rotterdam"), smuggling]}})
	"proportionaliteit-te-weinig-partners" in codes(d)
	both := open_case({"hit": {"sources": [source("gemeente-rotterdam"), smuggling, source("politie-rotterdam")]}})
	"proportioneel" in codes(both)
}

test_the_covenant_data_decide_a_sources_type if {
	d := open_case({"hit": {"sources": [source("gemeente-rotterdam"), object.union(source("riec-rr"), {"party_type": "politie"})]}})
	"proportionaliteit-te-weinig-partners" in codes(d)
}

test_a_hit_without_sources_is_not_proportionate if {
	d := open_case({"hit": {"parties": 3, "sources": null}})
	"proportionaliteit-te-weinig-partners" in codes(d)
	malformed := open_case({"hit": {"sources": ["gemeente-rotterdam", "politie-rotterdam"]}})
	"proportionaliteit-te-weinig-partners" in codes(malformed)
}

test_the_proportionality_threshold_comes_from_the_covenant_data if {
	d := case.decision with input as request("open", director, {}, {})
		with data.covenant.thresholds.proportionality as {"min_independent_parties": 3, "not_independent_types": ["riec"]}
	"proportionaliteit-te-weinig-partners" in codes(d)
}

# =============================================================================================
# transition
# =============================================================================================

test_a_case_moves_one_stage_forward if {
	d := transition("dossiervorming", "weging", {})
	d.allow
	codes(d) == {"fase-volgende"}
}

test_a_stage_cannot_be_skipped if {
	d := transition("dossiervorming", "casusoverleg", {"approvals": four_eyes})
	not d.allow
	"overgang-niet-toegestaan" in codes(d)
}

test_a_case_does_not_go_back if {
	d := transition("weging", "dossiervorming", {})
	not d.allow
	"overgang-niet-toegestaan" in codes(d)
	not "fase-volgende" in codes(d)
}

test_a_case_does_not_stay_where_it_is if {
	d := transition("weging", "weging", {})
	"overgang-niet-toegestaan" in codes(d)
}

test_a_case_may_be_closed_early_in_any_stage if {
	every from in ["dossiervorming", "weging", "casusoverleg", "toewijzing", "uitvoering"] {
		d := transition(from, "gesloten", {})
		d.allow
		"casus-vroegtijdig-gesloten" in codes(d)
	}
}

test_an_early_closing_names_its_reason if {
	with_reason := decide(request("transition", director, {"stage": "weging"}, {"to_stage": "gesloten", "reason": "geen-grond"}))
	contains(message_of(with_reason, "casus-vroegtijdig-gesloten"), "reden: geen-grond")
	without := transition("weging", "gesloten", {})
	contains(message_of(without, "casus-vroegtijdig-gesloten"), "geen reden opgegeven")
}

test_closing_after_the_evaluation_is_the_normal_end if {
	d := transition("evaluatie", "gesloten", {})
	d.allow
	"fase-volgende" in codes(d)
	not "casus-vroegtijdig-gesloten" in codes(d)
}

test_nothing_leaves_a_closed_case if {
	d := transition("gesloten", "evaluatie", {})
	not d.allow
	"casus-gesloten" in codes(d)
	again := transition("gesloten", "gesloten", {})
	not again.allow
	"casus-gesloten" in codes(again)
}

test_an_unknown_stage_is_refused_by_name if {
	d := transition("dossiervorming", "detectie", {})
	not d.allow
	"fase-onbekend" in codes(d)
	contains(message_of(d, "fase-onbekend"), "detectie")
	from_unknown := transition("vooronderzoek", "weging", {})
	"fase-onbekend" in codes(from_unknown)
	not "fase-onbekend" in codes(transition("dossiervorming", "weging", {}))
}

test_only_the_case_director_moves_a_case if {
	d := decide(request("transition", police_participant, {"stage": "dossiervorming"}, {"to_stage": "weging"}))
	not d.allow
	"verzoeker-geen-casusregisseur" in codes(d)
}

test_the_stage_order_comes_from_the_covenant_data if {
	d := case.decision with input as request("transition", director, {"stage": "dossiervorming"}, {"to_stage": "casusoverleg"})
		with data.covenant.cases.stages as ["dossiervorming", "casusoverleg", "gesloten"]
		with data.covenant.release.required_approvals as []
	not "overgang-niet-toegestaan" in codes(d)
}

test_the_next_stages_are_given if {
	transition("weging", "casusoverleg", {}).next_stages == ["casusoverleg", "gesloten"]
	transition("evaluatie", "gesloten", {}).next_stages == ["gesloten"]
	transition("gesloten", "gesloten", {}).next_stages == []
	transition("vooronderzoek", "weging", {}).next_stages == []
}

# --- Four eyes before the casusoverleg ---------------------------------------------------------

test_the_casusoverleg_is_entered_with_four_eyes if {
	d := transition("weging", "casusoverleg", {"approvals": four_eyes})
	d.allow
	codes(d) == {"fase-volgende", "vier-ogen-akkoord"}
}

test_the_casusoverleg_is_not_entered_without_the_privacy_officer if {
	d := transition("weging", "casusoverleg", {"approvals": [four_eyes[0]]})
	not d.allow
	"goedkeuring-ontbreekt" in codes(d)
	contains(message_of(d, "goedkeuring-ontbreekt"), "privacy_officer")
	not "vier-ogen-akkoord" in codes(d)
}

test_the_casusoverleg_is_not_entered_when_one_person_gave_both_approvals if {
	same := [four_eyes[0], object.union(four_eyes[1], {"sub_alias": "persoon-1"})]
	d := transition("weging", "casusoverleg", {"approvals": same})
	not d.allow
	"vier-ogen-zelfde-persoon" in codes(d)
	allowed := case.decision with input as request("transition", director, {"stage": "weging", "approvals": same}, {"to_stage": "casusoverleg"})
		with data.covenant.release.required_approvals as pinned_required_approvals
		with data.covenant.release.approvals_by_different_persons as false
	allowed.allow
}

test_an_approval_by_a_party_that_may_not_approve_does_not_count if {
	# The municipality does not take part and is not the RIEC: its privacy officer's approval
	# does not count, although the municipality holds the role.
	approvals := [four_eyes[0], {"role": "privacy_officer", "party": "gemeente-vlaardingen", "sub_alias": "persoon-2"}]
	d := transition("weging", "casusoverleg", {"approvals": approvals})
	"goedkeuring-ontbreekt" in codes(d)
	no_alias := [four_eyes[0], {"role": "privacy_officer", "party": "riec-rr"}]
	"goedkeuring-ontbreekt" in codes(transition("weging", "casusoverleg", {"approvals": no_alias}))
}

test_without_required_approvals_no_case_enters_the_casusoverleg if {
	d := case.decision with input as request("transition", director, {"stage": "weging", "approvals": four_eyes}, {"to_stage": "casusoverleg"})
		with data.covenant.release.required_approvals as []
	not d.allow
	"goedkeuringen-niet-ingesteld" in codes(d)
	not "goedkeuringen-niet-ingesteld" in codes(transition("weging", "casusoverleg", {"approvals": four_eyes}))
}

test_later_stages_need_no_new_approval if {
	d := transition("casusoverleg", "toewijzing", {})
	d.allow
	not "goedkeuring-ontbreekt" in codes(d)
}

# =============================================================================================
# approve
# =============================================================================================

test_the_riec_privacy_officer_approves_in_the_weighing if {
	d := approve(riec_privacy_officer, "privacy_officer", "weging", [four_eyes[0]])
	d.allow
	codes(d) == {"goedkeuring-toegestaan"}
}

test_the_case_director_approves_in_the_casusoverleg if {
	d := approve(director, "casusregisseur", "casusoverleg", [])
	d.allow
}

test_a_participants_privacy_officer_approves if {
	d := approve(police_privacy_officer, "privacy_officer", "weging", [])
	d.allow
}

test_the_privacy_officer_of_a_partner_outside_the_case_may_not_approve if {
	tax := {"party": "belastingdienst", "type": "belastingdienst", "signatory": true, "roles": ["privacy_officer"], "sub_alias": "persoon-7"}
	d := approve(tax, "privacy_officer", "weging", [])
	not d.allow
	codes(d) == {"goedkeurder-partij-niet-toegestaan"}
}

test_the_privacy_officer_of_a_non_signatory_participant_may_not_approve if {
	alblasserdam := {"party": "gemeente-alblasserdam", "type": "gemeente", "signatory": false, "roles": ["privacy_officer"], "sub_alias": "persoon-8"}
	d := case.decision with input as request("approve", alblasserdam, {"stage": "weging", "participants": with_alblasserdam}, {"approval": {"role": "privacy_officer"}})
		with data.covenant.parties as parties_with_alblasserdam_roles
	not d.allow
	codes(d) == {"goedkeurder-partij-niet-toegestaan"}
}

test_approving_is_possible_only_in_the_weighing_and_the_casusoverleg if {
	d := approve(riec_privacy_officer, "privacy_officer", "dossiervorming", [])
	not d.allow
	codes(d) == {"fase-geen-goedkeuring"}
	later := approve(riec_privacy_officer, "privacy_officer", "toewijzing", [])
	"fase-geen-goedkeuring" in codes(later)
	not "fase-geen-goedkeuring" in codes(approve(riec_privacy_officer, "privacy_officer", "casusoverleg", []))
}

test_a_closed_case_is_not_approved if {
	d := approve(riec_privacy_officer, "privacy_officer", "gesloten", [])
	"casus-gesloten" in codes(d)
	not "casus-gesloten" in codes(approve(riec_privacy_officer, "privacy_officer", "weging", []))
}

test_only_a_required_role_approves if {
	d := approve(object.union(police_participant, {"roles": ["deelnemer"]}), "deelnemer", "weging", [])
	not d.allow
	"rol-geen-goedkeuring" in codes(d)
	not "rol-geen-goedkeuring" in codes(approve(riec_privacy_officer, "privacy_officer", "weging", []))
}

test_the_approver_must_act_in_the_role if {
	# The token does not carry the role.
	d := approve(object.union(riec_privacy_officer, {"roles": ["analist"]}), "privacy_officer", "weging", [])
	not d.allow
	"verzoeker-rol-ontbreekt" in codes(d)
	# The token carries it, but the covenant does not grant it to the police.
	police_director := object.union(police_participant, {"roles": ["casusregisseur"]})
	"verzoeker-rol-ontbreekt" in codes(approve(police_director, "casusregisseur", "weging", []))
}

test_an_approval_names_the_person if {
	d := approve(object.remove(riec_privacy_officer, ["sub_alias"]), "privacy_officer", "weging", [])
	not d.allow
	codes(d) == {"goedkeurder-onbekend"}
}

test_the_same_person_does_not_approve_twice_in_one_role if {
	d := approve(riec_privacy_officer, "privacy_officer", "weging", [four_eyes[1]])
	not d.allow
	codes(d) == {"goedkeuring-al-gegeven"}
}

test_another_person_may_add_an_approval_in_the_same_role if {
	d := approve(police_privacy_officer, "privacy_officer", "casusoverleg", four_eyes)
	d.allow
}

test_one_person_does_not_give_two_required_approvals if {
	# The case director of the RIEC also holds the privacy officer's role at the RIEC.
	both := object.union(director, {"roles": ["casusregisseur", "privacy_officer"]})
	d := approve(both, "privacy_officer", "weging", [four_eyes[0]])
	not d.allow
	codes(d) == {"vier-ogen-zelfde-persoon"}
	allowed := case.decision with input as request("approve", both, {"stage": "weging", "approvals": [four_eyes[0]]}, {"approval": {"role": "privacy_officer"}})
		with data.covenant.release.required_approvals as pinned_required_approvals
		with data.covenant.release.approvals_by_different_persons as false
	allowed.allow
}

# =============================================================================================
# add_signals
# =============================================================================================

test_a_participants_adapter_adds_its_own_signals if {
	d := add(police_adapter, [own_signal, own_signal], {})
	d.allow
	codes(d) == {"signalen-eigen-partij"}
}

test_a_participants_employee_adds_its_own_signals if {
	d := add(police_participant, [own_signal], {"stage": "evaluatie"})
	d.allow
}

test_a_non_participant_adds_no_signals if {
	labour := {"party": "arbeidsinspectie", "type": "arbeidsinspectie", "signatory": true, "roles": ["adapter"], "sub_alias": "persoon-9"}
	signal := object.union(own_signal, {"party": "arbeidsinspectie", "party_type": "arbeidsinspectie"})
	d := add(labour, [signal], {})
	not d.allow
	codes(d) == {"partij-geen-deelnemer"}
}

test_a_non_signatory_participant_adds_no_signals if {
	alblasserdam := {"party": "gemeente-alblasserdam", "type": "gemeente", "signatory": false, "roles": ["adapter"], "sub_alias": "persoon-8"}
	signal := object.union(own_signal, {"party": "gemeente-alblasserdam", "party_type": "gemeente"})
	d := case.decision with input as request("add_signals", alblasserdam, {"participants": with_alblasserdam}, {"signals": [signal]})
		with data.covenant.parties as parties_with_alblasserdam_roles
	not d.allow
	codes(d) == {"partij-geen-ondertekenaar"}
}

test_only_an_adapter_or_participant_role_adds_signals if {
	d := add(police_privacy_officer, [own_signal], {})
	not d.allow
	codes(d) == {"rol-mag-geen-signalen-toevoegen"}
}

test_a_participant_adds_no_signals_of_another_partner if {
	municipal := object.union(own_signal, {"party": "gemeente-rotterdam", "party_type": "gemeente"})
	d := add(police_adapter, [own_signal, municipal], {})
	not d.allow
	codes(d) == {"signaal-van-andere-partij"}
	contains(message_of(d, "signaal-van-andere-partij"), "1 signaal")
}

test_adding_nothing_is_refused if {
	d := add(police_adapter, [], {})
	not d.allow
	codes(d) == {"geen-signalen"}
	"geen-signalen" in codes(add(police_adapter, "geen lijst", {}))
}

test_human_smuggling_signals_are_not_added_to_a_case if {
	smuggling := object.union(own_signal, {"form": "mensensmokkel"})
	d := add(police_adapter, [own_signal, smuggling], {})
	not d.allow
	codes(d) == {"buiten-reikwijdte-convenant"}
}

test_no_signals_are_added_to_a_closed_case if {
	d := add(police_adapter, [own_signal], {"stage": "gesloten"})
	not d.allow
	codes(d) == {"casus-gesloten"}
}

# =============================================================================================
# assign_intervention / update_intervention
# =============================================================================================

test_the_case_director_assigns_an_intervention_in_the_assignment_stage if {
	d := give(director, police_intervention, "toewijzing")
	d.allow
	codes(d) == {"interventie-toegewezen"}
}

test_an_intervention_is_assigned_only_in_the_assignment_stage if {
	d := give(director, police_intervention, "casusoverleg")
	not d.allow
	codes(d) == {"fase-geen-interventie"}
	"fase-geen-interventie" in codes(give(director, police_intervention, "uitvoering"))
}

test_only_the_case_director_assigns if {
	d := give(police_participant, police_intervention, "toewijzing")
	not d.allow
	codes(d) == {"verzoeker-geen-casusregisseur"}
}

test_an_intervention_goes_only_to_a_participant if {
	labour := {"party": "arbeidsinspectie", "kind": "arbeidsrechtelijk", "status": "toegewezen"}
	d := give(director, labour, "toewijzing")
	not d.allow
	codes(d) == {"interventie-partij-geen-deelnemer"}
}

test_an_intervention_goes_only_to_a_signatory if {
	alblasserdam := {"party": "gemeente-alblasserdam", "kind": "bestuurlijk", "status": "toegewezen"}
	d := decide(request("assign_intervention", director, {"stage": "toewijzing", "participants": with_alblasserdam}, {"intervention": alblasserdam}))
	not d.allow
	codes(d) == {"interventie-partij-geen-ondertekenaar"}
	municipal := object.union(alblasserdam, {"party": "gemeente-rotterdam"})
	decide(request("assign_intervention", director, {"stage": "toewijzing", "participants": with_alblasserdam}, {"intervention": municipal})).allow
}

test_an_unknown_kind_of_intervention_is_refused if {
	d := give(director, object.union(police_intervention, {"kind": "preventief"}), "toewijzing")
	not d.allow
	codes(d) == {"interventie-soort-onbekend"}
}

test_a_kind_of_intervention_fits_the_partner_type if {
	d := give(director, {"party": "gemeente-rotterdam", "kind": "fiscaal", "status": "toegewezen"}, "toewijzing")
	not d.allow
	codes(d) == {"interventie-soort-niet-voor-partij"}
	give(director, {"party": "gemeente-rotterdam", "kind": "bestuurlijk", "status": "toegewezen"}, "toewijzing").allow
}

test_a_new_intervention_starts_as_assigned if {
	d := give(director, object.union(police_intervention, {"status": "afgerond"}), "toewijzing")
	not d.allow
	codes(d) == {"interventie-status-overgang-ongeldig"}
}

test_the_assigned_partner_reports_progress if {
	d := report(police_participant, police_update("toegewezen", "in_uitvoering"), "uitvoering")
	d.allow
	codes(d) == {"interventie-status-bijgewerkt"}
	report(police_adapter, police_update("in_uitvoering", "afgerond"), "uitvoering").allow
	report(police_participant, police_update("toegewezen", "gestopt"), "toewijzing").allow
}

test_the_case_director_reports_progress_too if {
	report(director, police_update("toegewezen", "in_uitvoering"), "uitvoering").allow
}

test_another_partner_does_not_report_progress if {
	d := report(municipal_participant, police_update("toegewezen", "in_uitvoering"), "uitvoering")
	not d.allow
	codes(d) == {"verzoeker-niet-uitvoerder"}
	# The assigned partner, but not in a role that reports progress.
	"verzoeker-niet-uitvoerder" in codes(report(police_privacy_officer, police_update("toegewezen", "in_uitvoering"), "uitvoering"))
}

test_a_finished_intervention_does_not_change if {
	d := report(police_participant, police_update("afgerond", "in_uitvoering"), "uitvoering")
	not d.allow
	codes(d) == {"interventie-status-overgang-ongeldig"}
	"interventie-status-overgang-ongeldig" in codes(report(police_participant, police_update("gestopt", "afgerond"), "uitvoering"))
	"interventie-status-overgang-ongeldig" in codes(report(police_participant, police_intervention, "uitvoering"))
}

test_progress_is_reported_only_during_assignment_and_execution if {
	d := report(police_participant, police_update("in_uitvoering", "afgerond"), "evaluatie")
	not d.allow
	codes(d) == {"fase-geen-interventie"}
}

test_an_intervention_stays_with_a_participant if {
	moved := object.union(police_update("toegewezen", "in_uitvoering"), {"party": "arbeidsinspectie"})
	labour := {"party": "arbeidsinspectie", "type": "arbeidsinspectie", "signatory": true, "roles": ["deelnemer"], "sub_alias": "persoon-9"}
	d := report(labour, moved, "uitvoering")
	not d.allow
	codes(d) == {"interventie-partij-geen-deelnemer"}
}

# =============================================================================================
# view
# =============================================================================================

view(requester, case_overrides) := decide(request("view", requester, case_overrides, {}))

labour_participant := {"party": "arbeidsinspectie", "type": "arbeidsinspectie", "signatory": true, "roles": ["deelnemer"], "sub_alias": "persoon-9"}

test_the_riec_sees_a_case_it_does_not_take_part_in if {
	d := view(object.union(director, {"roles": []}), {})
	d.allow
	codes(d) == {"casus-inzage-regie"}
}

test_a_participant_sees_the_case_in_any_role if {
	d := view(object.union(police_participant, {"roles": []}), {})
	d.allow
	codes(d) == {"casus-inzage-deelnemer"}
}

test_a_party_outside_the_case_does_not_see_it if {
	d := view(labour_participant, {})
	not d.allow
	codes(d) == {"casus-niet-zichtbaar"}
	view(labour_participant, {"participants": ["arbeidsinspectie"]}).allow
}

test_the_type_that_sees_every_case_comes_from_the_covenant if {
	d := view(object.union(labour_participant, {"type": "riec"}), {})
	not d.allow
	"casus-niet-zichtbaar" in codes(d)
	unknown := view(object.union(labour_participant, {"party": "riec-onbekend", "type": "riec"}), {})
	not unknown.allow
}

test_a_closed_case_can_still_be_seen if {
	d := view(police_participant, {"stage": "gesloten"})
	d.allow
	not "casus-gesloten" in codes(d)
}

# =============================================================================================
# The covenant data the case rules read
# =============================================================================================

cases := data.covenant.cases

test_every_case_stage_has_a_release_level if {
	every stage in cases.stages {
		data.covenant.release.stages[stage]
	}
}

test_the_closed_stage_ends_the_chain if {
	cases.stages[count(cases.stages) - 1] == cases.closed_stage
}

test_stages_named_in_the_case_rules_exist if {
	named := {s |
		some list in [
			cases.approval_stages,
			cases.stages_requiring_approvals,
			cases.interventions.assign_stages,
			cases.interventions.update_stages,
		]
		some s in list
	}
	count(named - {s | some s in cases.stages}) == 0
}

test_every_required_approval_has_approvers if {
	every role in data.covenant.release.required_approvals {
		cases.approvers[role]
	}
}

test_case_purposes_are_covenant_purposes if {
	every purpose in cases.purposes {
		data.covenant.purposes[purpose]
	}
}

test_the_case_director_exists if {
	some party in data.covenant.parties
	party.signatory == true
	party.type in cases.director.party_types
	cases.director.role in party.roles
}

test_intervention_kinds_name_known_party_types if {
	every kind in cases.interventions.kinds {
		count(kind.party_types) > 0
		every t in kind.party_types {
			data.covenant.party_types[t]
		}
	}
}

test_intervention_statuses_are_coherent if {
	cases.interventions.status_transitions[cases.interventions.initial_status]
	every _, targets in cases.interventions.status_transitions {
		every target in targets {
			cases.interventions.status_transitions[target]
		}
	}
}

# =============================================================================================
# edit_file / view_file: the case file, and a second case on a hit
# =============================================================================================

pinned_case_file := {
	"edit_stages": ["dossiervorming", "weging"],
	"reasons": {"betrokkene_casus": "Hoort bij de casus.", "alleen_via_knooppunt": "Alleen via een knooppunt."},
	"second_case_reasons": {"ander_doel": "Een ander doel."},
}

edit_file(requester, stage, change) := d if {
	d := case.decision with input as request("edit_file", requester, {"stage": stage}, {"file": change})
		with data.covenant.cases.case_file as pinned_case_file
}

add_two_subjects := {"reason": "betrokkene_casus", "add_subjects": 2, "remove_subjects": 0, "add_signals": 3, "remove_signals": 0}

test_the_director_builds_the_case_file_with_a_reason if {
	d := edit_file(director, "dossiervorming", add_two_subjects)
	d.allow
	"dossier-gewijzigd" in codes(d)
	weging := edit_file(director, "weging", object.union(add_two_subjects, {"reason": "alleen_via_knooppunt"}))
	weging.allow
}

test_only_the_director_builds_the_case_file if {
	d := edit_file(police_participant, "dossiervorming", add_two_subjects)
	not d.allow
	"verzoeker-geen-casusregisseur" in codes(d)
}

test_the_case_file_needs_a_known_reason_and_a_change if {
	unknown := edit_file(director, "dossiervorming", object.union(add_two_subjects, {"reason": "zomaar"}))
	not unknown.allow
	codes(unknown) == {"dossier-reden-onbekend"}
	nothing := edit_file(director, "dossiervorming", {"reason": "betrokkene_casus", "add_subjects": 0, "remove_subjects": 0, "add_signals": 0, "remove_signals": 0})
	not nothing.allow
	codes(nothing) == {"dossier-geen-wijziging"}
}

test_the_case_file_is_fixed_from_the_casusoverleg_on if {
	some stage in ["casusoverleg", "toewijzing", "uitvoering", "evaluatie"]
	d := edit_file(director, stage, add_two_subjects)
	not d.allow
	codes(d) == {"dossier-fase"}
}

test_a_closed_case_file_does_not_change_but_can_be_viewed if {
	d := edit_file(director, "gesloten", add_two_subjects)
	not d.allow
	"casus-gesloten" in codes(d)
	seen := case.decision with input as request("view_file", director, {"stage": "gesloten"}, {})
	seen.allow
}

test_only_the_director_views_the_network_for_the_case_file if {
	d := case.decision with input as request("view_file", police_participant, {}, {})
	not d.allow
	"verzoeker-geen-casusregisseur" in codes(d)
}

open_with(step) := d if {
	d := case.decision with input as request("open", director, {}, step)
		with data.covenant.thresholds.proportionality as pinned_proportionality
		with data.covenant.cases.case_file as pinned_case_file
}

test_a_second_case_on_a_hit_needs_a_covenant_reason if {
	first := open_with({"open_cases": 0})
	first.allow
	second := open_with({"open_cases": 1})
	not second.allow
	"hit-heeft-open-casus" in codes(second)
	unknown := open_with({"open_cases": 1, "second_case_reason": "liever"})
	not unknown.allow
	with_reason := open_with({"open_cases": 2, "second_case_reason": "ander_doel"})
	with_reason.allow
	"tweede-casus" in codes(with_reason)
}
