package gateway.release_test

import rego.v1

import data.gateway.release

# --- Input builders ----------------------------------------------------------------------------
#
# A standard case: the RIEC's case director asks, in the casusoverleg, for the chain approach
# (ketenaanpak), with four-eyes approval, to release a municipal and a police signal to the
# police, the OM, the municipality and the RIEC. Each test changes only what it is about.

now := "2026-03-01T10:00:00Z"

no_flags := {"minor": false, "consent": null, "embargo_until": null, "source_protected": false}

case_director := {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"], "sub": "cr-1"}

four_eyes := [
	{"party": "riec-rr", "role": "casusregisseur", "sub": "cr-1"},
	{"party": "riec-rr", "role": "privacy_officer", "sub": "po-1"},
]

standard_case := {
	"id": "CASUS-2026-001",
	"stage": "casusoverleg",
	"purpose": "ketenaanpak",
	"acute_danger": false,
	"approvals": four_eyes,
	"meeting_part": null,
}

participant(party_id) := {
	"party": party_id,
	"type": data.covenant.parties[party_id].type,
	"signatory": data.covenant.parties[party_id].signatory,
}

signal(id, party_id, overrides) := object.union(
	{
		"id": id,
		"party": party_id,
		"party_type": data.covenant.parties[party_id].type,
		"form": "arbeidsuitbuiting",
		"data_classes": ["gewoon"],
		"flags": no_flags,
		"fields": ["naam", "geboortedatum", "adres", "bron_partij"],
	},
	overrides,
)

municipal_signal := signal("s-gemeente", "gemeente-rotterdam", {})

police_signal := signal("s-politie", "politie-rotterdam", {
	"data_classes": ["gewoon", "politiegegevens"],
	"fields": ["naam", "adres", "omschrijving", "bron_partij"],
})

care_signal(flags) := signal("s-zorg", "zorgcoordinator-rr", {
	"form": "seksuele_uitbuiting",
	"data_classes": ["gewoon", "zorg_beroepsgeheim"],
	"flags": flags,
	"fields": ["naam", "zorgtraject"],
})

standard_participants := [participant(p) | some p in ["politie-rotterdam", "om-rotterdam", "gemeente-rotterdam", "riec-rr"]]

request(overrides) := object.union(
	{
		"now": now,
		"requester": case_director,
		"case": standard_case,
		"participants": standard_participants,
		"signals": [municipal_signal, police_signal],
	},
	overrides,
)

# A request for the standard case with extra signals and participants.
request_with(signals, participants) := request({
	"signals": array.concat([municipal_signal, police_signal], signals),
	"participants": array.concat(standard_participants, [participant(p) | some p in participants]),
})

with_case(overrides) := request({"case": object.union(standard_case, overrides)})

# --- Reading a decision ------------------------------------------------------------------------
#
# The output contract (README.md, "Uitkomst"): per participant `signals` maps each released
# signal to its fields. A signal it does not receive is withheld for the reasons that list it,
# in `withheld` (every participant) or in the participant's own `withheld`; each reason lists the
# signals it holds for. `fields_withheld` lists, per field and reason, the signals whose field
# goes to nobody.

case_codes(d) := {r.code | some r in d.reasons}

withheld_codes(d, party_id, signal_id) := {group.code |
	d.releases[party_id]
	some group in d.withheld | d.releases[party_id].withheld
	signal_id in group.signals
}

recipient_codes(d, party_id) := {r.code | some r in d.releases[party_id].reasons}

released(d, party_id, signal_id) if d.releases[party_id].signals[signal_id]

released_fields(d, party_id, signal_id) := {f | some f in d.releases[party_id].signals[signal_id]}

field_codes(d, signal_id, field) := {group.code |
	some group in d.fields_withheld
	group.field == field
	signal_id in group.signals
}

# =============================================================================================
# The standard case is released
# =============================================================================================

test_the_standard_case_is_released_with_reasons if {
	d := release.decision with input as request({})
	d.allow
	count({"doelbinding", "fase-details-toegestaan", "vier-ogen-akkoord", "proportioneel"} - case_codes(d)) == 0
	released(d, "politie-rotterdam", "s-politie")
	released(d, "gemeente-rotterdam", "s-gemeente")
}

test_nothing_is_allowed_without_input if {
	not release.allow with input as {}
}

test_every_signal_is_either_released_or_withheld_with_a_reason if {
	d := release.decision with input as request_with(
		[care_signal(no_flags), signal("s-cie", "politie-rotterdam", {"data_classes": ["politiegegevens", "cie"]})],
		["zorgcoordinator-rr", "woningcorporatie-maasoever", "gemeente-alblasserdam"],
	)
	every p in input_participants(d) {
		every s in ["s-gemeente", "s-politie", "s-zorg", "s-cie"] {
			released_or_withheld(d, p, s)
		}
	}
}

# Exactly one of the two: released (and under no reason), or withheld under at least one reason.
released_or_withheld(d, p, s) if {
	released(d, p, s)
	count(withheld_codes(d, p, s)) == 0
}

released_or_withheld(d, p, s) if {
	not released(d, p, s)
	count(withheld_codes(d, p, s)) > 0
}

input_participants(d) := {p | some p, _ in d.releases}

# =============================================================================================
# Layer 1: the case
# =============================================================================================

# --- Requester ---------------------------------------------------------------------------------

test_only_the_riec_case_director_may_ask_for_a_release if {
	d := release.decision with input as request({"requester": {"party": "gemeente-rotterdam", "type": "gemeente", "roles": ["privacy_officer"], "sub": "po-g"}})
	not d.allow
	"verzoeker-geen-casusregisseur" in case_codes(d)
	not released(d, "politie-rotterdam", "s-politie")
}

test_a_riec_analyst_is_not_the_case_director if {
	d := release.decision with input as request({"requester": object.union(case_director, {"roles": ["analist"]})})
	"verzoeker-geen-casusregisseur" in case_codes(d)
}

test_the_riec_case_director_is_accepted_as_requester if {
	d := release.decision with input as request({})
	not "verzoeker-geen-casusregisseur" in case_codes(d)
}

# --- Stage -------------------------------------------------------------------------------------

test_before_the_case_meeting_only_metadata_is_shared if {
	d := release.decision with input as with_case({"stage": "weging"})
	not d.allow
	"alleen-metadata-voor-casusoverleg" in case_codes(d)
	"alleen-metadata-voor-casusoverleg" in withheld_codes(d, "politie-rotterdam", "s-politie")
	d.releases["politie-rotterdam"].signals == {}
}

# --- After the case meeting: only what the assigned intervention needs --------------------------

intervention(party, kind) := {"party": party, "kind": kind, "status": "toegewezen"}

# Pinned, so the tests check the rule and not today's lists in covenant/data.json.
pinned_needs := {
	"strafrechtelijk": {"name": "Strafrechtelijk", "party_types": ["politie", "om"], "needed_fields": ["naam", "adres", "omschrijving"]},
	"bestuurlijk": {"name": "Bestuurlijk", "party_types": ["gemeente"], "needed_fields": ["adres"]},
}

after_meeting(stage, interventions) := after_meeting_with(stage, interventions, pinned_needs)

after_meeting_with(stage, interventions, kinds) := d if {
	d := release.decision with input as with_case({"stage": stage, "interventions": interventions})
		with data.covenant.cases.interventions.kinds as kinds
}

test_details_may_be_shared_during_assignment_for_an_assigned_intervention if {
	d := after_meeting("toewijzing", [intervention("politie-rotterdam", "strafrechtelijk")])
	d.allow
	"fase-alleen-voor-interventie" in case_codes(d)
	not "fase-details-toegestaan" in case_codes(d)
	released_fields(d, "politie-rotterdam", "s-politie") == {"naam", "adres", "omschrijving"}
	"interventie-toegewezen" in recipient_codes(d, "politie-rotterdam")
}

test_after_the_meeting_a_participant_without_an_intervention_receives_nothing if {
	some stage in ["toewijzing", "uitvoering", "evaluatie"]
	d := after_meeting(stage, [intervention("politie-rotterdam", "strafrechtelijk")])
	d.releases["om-rotterdam"].signals == {}
	"geen-interventie-toegewezen" in withheld_codes(d, "om-rotterdam", "s-gemeente")
	"geen-interventie-toegewezen" in withheld_codes(d, "om-rotterdam", "s-politie")
	released(d, "politie-rotterdam", "s-gemeente")
}

test_after_the_meeting_nobody_receives_without_interventions if {
	d := after_meeting("uitvoering", [])
	not d.allow
	"niets-verstrekt" in case_codes(d)
	"geen-interventie-toegewezen" in withheld_codes(d, "politie-rotterdam", "s-politie")
}

test_after_the_meeting_only_the_fields_the_intervention_needs_are_released if {
	d := after_meeting("uitvoering", [intervention("gemeente-rotterdam", "bestuurlijk")])
	released_fields(d, "gemeente-rotterdam", "s-gemeente") == {"adres"}
	some group in d.releases["gemeente-rotterdam"].withheld_fields
	group.field == "naam"
	group.code == "veld-niet-nodig-voor-interventie"
	group.signals == {"s-gemeente"}
	# Police data still needs a basis: the intervention does not widen what the type receives.
	"politiegegevens-geen-grondslag" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

test_after_the_meeting_a_signal_with_no_needed_field_is_withheld if {
	kinds := object.union(pinned_needs, {"strafrechtelijk": {"needed_fields": ["omschrijving"]}})
	d := after_meeting_with("evaluatie", [intervention("politie-rotterdam", "strafrechtelijk")], kinds)
	released_fields(d, "politie-rotterdam", "s-politie") == {"omschrijving"}
	not released(d, "politie-rotterdam", "s-gemeente")
	"geen-velden-nodig-voor-interventie" in withheld_codes(d, "politie-rotterdam", "s-gemeente")
}

test_a_stopped_intervention_or_one_of_a_kind_not_for_the_type_gives_nothing if {
	stopped := object.union(intervention("politie-rotterdam", "strafrechtelijk"), {"status": "gestopt"})
	d := after_meeting("uitvoering", [stopped, intervention("gemeente-rotterdam", "strafrechtelijk")])
	"geen-interventie-toegewezen" in withheld_codes(d, "politie-rotterdam", "s-gemeente")
	"geen-interventie-toegewezen" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
}

test_two_interventions_of_a_party_need_the_fields_of_both if {
	kinds := object.union(pinned_needs, {
		"strafrechtelijk": {"needed_fields": ["omschrijving"]},
		"bestuurlijk": {"party_types": ["gemeente", "politie"]},
	})
	d := after_meeting_with("uitvoering", [intervention("politie-rotterdam", "strafrechtelijk"), intervention("politie-rotterdam", "bestuurlijk")], kinds)
	released_fields(d, "politie-rotterdam", "s-politie") == {"omschrijving", "adres"}
}

test_in_the_case_meeting_itself_no_intervention_is_needed if {
	d := after_meeting("casusoverleg", [])
	d.allow
	"fase-details-toegestaan" in case_codes(d)
	released_fields(d, "om-rotterdam", "s-gemeente") == {"naam", "geboortedatum", "adres", "bron_partij"}
}

test_every_signal_is_released_or_withheld_after_the_meeting if {
	d := after_meeting("uitvoering", [intervention("gemeente-rotterdam", "bestuurlijk"), intervention("politie-rotterdam", "strafrechtelijk")])
	every party, _ in d.releases {
		every id in {"s-gemeente", "s-politie"} {
			count({1 | released(d, party, id)} | {2 | count(withheld_codes(d, party, id)) > 0}) == 1
		}
	}
}

test_nothing_is_released_after_closure if {
	d := release.decision with input as with_case({"stage": "gesloten"})
	not d.allow
	"fase-geen-verstrekking" in case_codes(d)
	not "alleen-metadata-voor-casusoverleg" in case_codes(d)
}

test_an_unknown_stage_releases_nothing if {
	d := release.decision with input as with_case({"stage": "voorbespreking"})
	not d.allow
	"fase-onbekend" in case_codes(d)
}

test_the_stages_come_from_the_covenant_data if {
	d := release.decision with input as with_case({"stage": "weging"})
		with data.covenant.release.stages.weging as "details"
	d.allow
}

# --- Purpose binding ---------------------------------------------------------------------------

test_a_purpose_outside_the_covenant_releases_nothing if {
	d := release.decision with input as with_case({"purpose": "handhaving_verkeer"})
	not d.allow
	"doel-onbekend" in case_codes(d)
}

test_a_covenant_purpose_is_named_as_ground if {
	d := release.decision with input as request({})
	"doelbinding" in case_codes(d)
	not "doel-onbekend" in case_codes(d)
}

test_a_recipient_whose_type_lacks_the_purpose_receives_nothing if {
	d := release.decision with input as with_case({"purpose": "riec_analyse"})
	"doel-niet-voor-ontvanger" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
	not released(d, "gemeente-rotterdam", "s-gemeente")
	released(d, "riec-rr", "s-gemeente")
}

test_a_recipient_whose_type_has_the_purpose_is_not_refused_for_it if {
	d := release.decision with input as request({})
	not "doel-niet-voor-ontvanger" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

# --- Four eyes ---------------------------------------------------------------------------------

test_a_release_without_the_privacy_officer_is_refused if {
	d := release.decision with input as with_case({"approvals": [four_eyes[0]]})
	not d.allow
	"goedkeuring-ontbreekt" in case_codes(d)
}

test_a_release_without_any_approval_is_refused if {
	d := release.decision with input as with_case({"approvals": []})
	not d.allow
	"goedkeuring-ontbreekt" in case_codes(d)
}

test_one_person_cannot_approve_as_both_case_director_and_privacy_officer if {
	d := release.decision with input as with_case({"approvals": [
		{"party": "riec-rr", "role": "casusregisseur", "sub": "cr-1"},
		{"party": "riec-rr", "role": "privacy_officer", "sub": "cr-1"},
	]})
	not d.allow
	"vier-ogen-zelfde-persoon" in case_codes(d)
}

test_two_different_people_satisfy_the_four_eyes_rule if {
	d := release.decision with input as request({})
	"vier-ogen-akkoord" in case_codes(d)
	not "vier-ogen-zelfde-persoon" in case_codes(d)
}

test_an_approval_in_a_role_the_party_does_not_hold_does_not_count if {
	# The covenant gives the housing association no privacy officer.
	d := release.decision with input as with_case({"approvals": [
		four_eyes[0],
		{"party": "woningcorporatie-maasoever", "role": "privacy_officer", "sub": "x-1"},
	]})
	not d.allow
	"goedkeuring-ontbreekt" in case_codes(d)
}

test_a_privacy_officer_of_another_signatory_may_approve if {
	d := release.decision with input as with_case({"approvals": [
		four_eyes[0],
		{"party": "gemeente-rotterdam", "role": "privacy_officer", "sub": "po-g"},
	]})
	d.allow
}

test_each_of_three_required_roles_needs_its_own_person if {
	three_roles := ["casusregisseur", "privacy_officer", "analist"]
	shared := with_case({"approvals": array.concat(four_eyes, [{"party": "riec-rr", "role": "analist", "sub": "cr-1"}])})
	d := release.decision with input as shared with data.covenant.release.required_approvals as three_roles
	"vier-ogen-zelfde-persoon" in case_codes(d)
	separate := with_case({"approvals": array.concat(four_eyes, [{"party": "riec-rr", "role": "analist", "sub": "an-1"}])})
	d2 := release.decision with input as separate with data.covenant.release.required_approvals as three_roles
	d2.allow
}

test_no_configured_approvals_means_no_release if {
	d := release.decision with input as request({}) with data.covenant.release.required_approvals as []
	not d.allow
	"goedkeuringen-niet-ingesteld" in case_codes(d)
}

# --- Proportionality ---------------------------------------------------------------------------

test_signals_from_one_partner_are_not_enough if {
	d := release.decision with input as request({"signals": [municipal_signal]})
	not d.allow
	"proportionaliteit-te-weinig-partners" in case_codes(d)
}

test_signals_from_two_partners_are_proportionate if {
	d := release.decision with input as request({})
	"proportioneel" in case_codes(d)
	not "proportionaliteit-te-weinig-partners" in case_codes(d)
}

test_acute_danger_lifts_the_two_partner_rule if {
	d := release.decision with input as request({
		"signals": [municipal_signal],
		"case": object.union(standard_case, {"acute_danger": true}),
	})
	d.allow
	"urgent-uitzondering-proportionaliteit" in case_codes(d)
}

test_a_minor_in_sexual_exploitation_lifts_the_two_partner_rule if {
	urgent := signal("s-urgent", "gemeente-rotterdam", {"form": "seksuele_uitbuiting", "flags": {"minor": true}})
	d := release.decision with input as request({"signals": [urgent]})
	not "proportionaliteit-te-weinig-partners" in case_codes(d)
	"urgent-uitzondering-proportionaliteit" in case_codes(d)
}

test_the_riec_is_not_an_independent_source if {
	analysis := signal("s-riec", "riec-rr", {})
	d := release.decision with input as request({"signals": [municipal_signal, analysis]})
	"proportionaliteit-te-weinig-partners" in case_codes(d)
}

# =============================================================================================
# Layer 2: the recipient
# =============================================================================================

test_a_non_signatory_receives_nothing if {
	d := release.decision with input as request_with([], ["gemeente-alblasserdam"])
	d.allow
	d.releases["gemeente-alblasserdam"].signals == {}
	"ontvanger-geen-convenantpartner" in withheld_codes(d, "gemeente-alblasserdam", "s-gemeente")
}

test_a_participant_claiming_to_have_signed_is_checked_against_the_covenant if {
	claims := object.union(participant("gemeente-alblasserdam"), {"signatory": true})
	d := release.decision with input as request({"participants": array.concat(standard_participants, [claims])})
	"ontvanger-geen-convenantpartner" in withheld_codes(d, "gemeente-alblasserdam", "s-gemeente")
}

test_a_signatory_is_not_refused_as_non_signatory if {
	d := release.decision with input as request({})
	not "ontvanger-geen-convenantpartner" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

test_an_unknown_participant_receives_nothing if {
	stranger := {"party": "reisbureau-zon", "type": "reisbureau", "signatory": true}
	d := release.decision with input as request({"participants": array.concat(standard_participants, [stranger])})
	"ontvanger-geen-convenantpartner" in withheld_codes(d, "reisbureau-zon", "s-gemeente")
	"ontvanger-type-onbekend" in withheld_codes(d, "reisbureau-zon", "s-gemeente")
}

test_a_participant_mislabelled_as_police_is_judged_by_its_real_type if {
	mislabelled := {"party": "gemeente-vlaardingen", "type": "politie", "signatory": true}
	d := release.decision with input as request({"participants": array.concat(standard_participants, [mislabelled])})
	"politiegegevens-geen-grondslag" in withheld_codes(d, "gemeente-vlaardingen", "s-politie")
}

# =============================================================================================
# Layer 3: each signal per recipient
# =============================================================================================

# --- Incomplete signals --------------------------------------------------------------------

test_a_signal_without_flags_or_form_is_withheld_not_lost if {
	incomplete := {"id": "s-half", "party": "gemeente-rotterdam", "party_type": "gemeente", "data_classes": ["gewoon"], "fields": ["naam"]}
	d := release.decision with input as request_with([incomplete], [])
	"signaal-onvolledig" in withheld_codes(d, "politie-rotterdam", "s-half")
	released(d, "politie-rotterdam", "s-gemeente")
}

test_a_complete_signal_is_not_called_incomplete if {
	d := release.decision with input as request({})
	not "signaal-onvolledig" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

# --- CIE ---------------------------------------------------------------------------------------

test_cie_intelligence_is_never_released_not_even_to_the_police if {
	cie := signal("s-cie", "politie-rotterdam", {"data_classes": ["politiegegevens", "cie"]})
	d := release.decision with input as request_with([cie], [])
	"cie-nooit-verstrekken" in withheld_codes(d, "politie-rotterdam", "s-cie")
	not released(d, "politie-rotterdam", "s-cie")
}

test_police_data_without_cie_is_released_to_the_police if {
	d := release.decision with input as request({})
	not "cie-nooit-verstrekken" in withheld_codes(d, "politie-rotterdam", "s-politie")
}

# --- Basis per data class ----------------------------------------------------------------------

test_police_data_goes_to_the_om if {
	d := release.decision with input as request({})
	released(d, "om-rotterdam", "s-politie")
	some r in d.releases["om-rotterdam"].reasons
	r.code == "grondslag-ontvanger"
	contains(r.basis, "Wpg")
}

test_police_data_is_withheld_from_the_municipality if {
	d := release.decision with input as request({})
	not released(d, "gemeente-rotterdam", "s-politie")
	"politiegegevens-geen-grondslag" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

test_criminal_data_goes_to_the_om_but_not_to_the_housing_association if {
	inspection := signal("s-inspectie", "arbeidsinspectie", {"data_classes": ["gewoon", "strafrechtelijk"]})
	d := release.decision with input as request_with([inspection], ["woningcorporatie-maasoever"])
	released(d, "om-rotterdam", "s-inspectie")
	"strafrechtelijk-geen-grondslag" in withheld_codes(d, "woningcorporatie-maasoever", "s-inspectie")
}

test_sex_life_data_goes_to_the_police_but_not_to_the_labour_inspectorate if {
	licence := signal("s-vergunning", "gemeente-rotterdam", {"data_classes": ["gewoon", "seksueel_leven"], "form": "seksuele_uitbuiting"})
	d := release.decision with input as request_with([licence], ["arbeidsinspectie"])
	released(d, "politie-rotterdam", "s-vergunning")
	"bijzonder-geen-grondslag" in withheld_codes(d, "arbeidsinspectie", "s-vergunning")
}

test_tax_data_goes_to_the_om_but_not_to_the_police if {
	tax := signal("s-fiscaal", "belastingdienst", {"data_classes": ["gewoon", "fiscaal"]})
	d := release.decision with input as object.union(request_with([tax], []), {"case": {"purpose": "opsporing_vervolging"}})
	released(d, "om-rotterdam", "s-fiscaal")
	"fiscaal-geen-grondslag" in withheld_codes(d, "politie-rotterdam", "s-fiscaal")
}

test_residence_status_is_withheld_from_the_housing_association if {
	status := signal("s-ind", "gemeente-rotterdam", {"data_classes": ["gewoon", "verblijfsstatus"]})
	d := release.decision with input as request_with([status], ["woningcorporatie-maasoever"])
	"verblijfsstatus-geen-grondslag" in withheld_codes(d, "woningcorporatie-maasoever", "s-ind")
	released(d, "politie-rotterdam", "s-ind")
}

test_health_data_is_withheld_from_the_police if {
	health := signal("s-gezondheid", "gemeente-rotterdam", {"data_classes": ["gewoon", "gezondheid"]})
	d := release.decision with input as request_with([health], [])
	"bijzonder-geen-grondslag" in withheld_codes(d, "politie-rotterdam", "s-gezondheid")
}

test_a_type_without_a_basis_for_ordinary_data_receives_nothing if {
	d := release.decision with input as request({})
		with data.covenant.party_types.gemeente.may_receive as {}
	"gegevensklasse-geen-grondslag" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
}

test_a_class_without_its_own_code_is_withheld_with_the_general_code if {
	odd := signal("s-nieuw", "gemeente-rotterdam", {"data_classes": ["gewoon", "biometrisch"]})
	d := release.decision with input as request_with([odd], [])
	"gegevensklasse-geen-grondslag" in withheld_codes(d, "politie-rotterdam", "s-nieuw")
}

test_allowing_a_class_for_a_type_is_a_data_change if {
	d := release.decision with input as request({})
		with data.covenant.party_types.gemeente.may_receive.politiegegevens as {"basis": "test", "purposes": ["ketenaanpak"]}
	released(d, "gemeente-rotterdam", "s-politie")
}

# --- A basis serves only its purposes (may_receive.<class>.purposes) ---------------------------

bibob := signal("s-bibob", "politie-rotterdam", {"data_classes": ["gewoon", "strafrechtelijk"], "fields": ["naam", "strafbaar_feit"]})

test_the_bibob_basis_gives_criminal_data_to_the_municipality_for_administrative_intervention if {
	d := release.decision with input as object.union(request_with([bibob], []), {"case": {"purpose": "bestuurlijke_interventie"}})
	released(d, "gemeente-rotterdam", "s-bibob")
	released_fields(d, "gemeente-rotterdam", "s-bibob") == {"naam", "strafbaar_feit"}
	not "grondslag-niet-voor-doel" in withheld_codes(d, "gemeente-rotterdam", "s-bibob")
	some r in d.releases["gemeente-rotterdam"].reasons
	contains(r.basis, "Wet Bibob")
}

test_the_bibob_basis_gives_the_municipality_no_criminal_data_in_a_chain_approach_case if {
	d := release.decision with input as request_with([bibob], [])
	not released(d, "gemeente-rotterdam", "s-bibob")
	"grondslag-niet-voor-doel" in withheld_codes(d, "gemeente-rotterdam", "s-bibob")
	some group in d.releases["gemeente-rotterdam"].withheld
	group.code == "grondslag-niet-voor-doel"
	group.basis == "AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8"
	contains(group.message, "Wet Bibob")
	contains(group.message, "\"ketenaanpak\"")
	group.signals == {"s-bibob"}
	# The municipality still gets the ordinary signals, and the police the criminal data.
	released(d, "gemeente-rotterdam", "s-gemeente")
	released(d, "politie-rotterdam", "s-bibob")
}

test_the_fiod_basis_serves_the_investigation_only if {
	fiod := participant("belastingdienst")
	investigation := object.union(request({"signals": [municipal_signal, police_signal, bibob], "participants": [fiod]}), {"case": {"purpose": "opsporing_vervolging"}})
	d := release.decision with input as investigation
	released(d, "belastingdienst", "s-bibob")
	chain := release.decision with input as request({"signals": [municipal_signal, police_signal, bibob], "participants": [fiod]})
	"grondslag-niet-voor-doel" in withheld_codes(chain, "belastingdienst", "s-bibob")
	released(chain, "belastingdienst", "s-gemeente")
}

test_a_basis_without_purposes_serves_none if {
	d := release.decision with input as request({})
		with data.covenant.party_types.gemeente.may_receive.politiegegevens as {"basis": "test"}
	"grondslag-niet-voor-doel" in withheld_codes(d, "gemeente-rotterdam", "s-politie")
}

# --- Care data (beroepsgeheim) -----------------------------------------------------------------

test_care_data_without_consent_or_acute_danger_is_withheld if {
	d := release.decision with input as request_with([care_signal(no_flags)], ["zorgcoordinator-rr"])
	"zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
}

test_care_data_with_consent_goes_to_the_care_coordinator if {
	d := release.decision with input as request_with([care_signal({"consent": true})], ["zorgcoordinator-rr"])
	released(d, "zorgcoordinator-rr", "s-zorg")
	"zorg-toestemming-of-acuut-gevaar" in recipient_codes(d, "zorgcoordinator-rr")
	not "zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
}

test_care_data_with_consent_does_not_go_to_the_police if {
	d := release.decision with input as request_with([care_signal({"consent": true})], ["zorgcoordinator-rr"])
	not released(d, "politie-rotterdam", "s-zorg")
	"zorg-alleen-via-zorgcoordinator" in withheld_codes(d, "politie-rotterdam", "s-zorg")
	"beroepsgeheim-geen-grondslag" in withheld_codes(d, "politie-rotterdam", "s-zorg")
}

# The automatic urgency rule lifts the two-partner rule, never professional secrecy: an urgent
# care signal without consent stays withheld until the case director establishes acute danger.
test_an_urgent_care_signal_without_consent_is_withheld_without_acute_danger if {
	urgent_care := care_signal({"minor": true})
	req := request({
		"signals": [urgent_care],
		"participants": [participant("zorgcoordinator-rr")],
		"case": object.union(standard_case, {"approvals": four_eyes}),
	})
	d := release.decision with input as req
	"urgent-uitzondering-proportionaliteit" in case_codes(d)
	not released(d, "zorgcoordinator-rr", "s-zorg")
	"zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
	danger := release.decision with input as object.union(req, {"case": {"acute_danger": true}})
	released(danger, "zorgcoordinator-rr", "s-zorg")
}

test_care_data_without_consent_goes_to_the_care_coordinator_in_acute_danger if {
	req := request_with([care_signal(no_flags)], ["zorgcoordinator-rr"])
	d := release.decision with input as object.union(req, {"case": {"acute_danger": true}})
	released(d, "zorgcoordinator-rr", "s-zorg")
	"zorg-alleen-via-zorgcoordinator" in withheld_codes(d, "politie-rotterdam", "s-zorg")
}

test_health_data_from_a_care_partner_is_care_data if {
	health := signal("s-ggd", "zorgcoordinator-rr", {"data_classes": ["gewoon", "gezondheid"]})
	d := release.decision with input as request_with([health], ["zorgcoordinator-rr"])
	"zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-ggd")
}

test_ordinary_data_from_a_care_partner_is_not_care_data if {
	plain := signal("s-zorg-gewoon", "zorgcoordinator-rr", {})
	d := release.decision with input as request_with([plain], ["zorgcoordinator-rr"])
	released(d, "gemeente-rotterdam", "s-zorg-gewoon")
}

# --- Split case meeting ------------------------------------------------------------------------

test_care_data_is_not_discussed_in_the_general_part if {
	req := request_with([care_signal({"consent": true})], ["zorgcoordinator-rr"])
	d := release.decision with input as object.union(req, {"case": {"meeting_part": "algemeen"}})
	"zorgdeel-gescheiden-overleg" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
	released(d, "politie-rotterdam", "s-politie")
}

test_care_data_is_discussed_in_the_care_part if {
	req := request_with([care_signal({"consent": true})], ["zorgcoordinator-rr"])
	d := release.decision with input as object.union(req, {"case": {"meeting_part": "zorg"}})
	released(d, "zorgcoordinator-rr", "s-zorg")
	not "zorgdeel-gescheiden-overleg" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
}

# --- Embargo -----------------------------------------------------------------------------------

embargoed(until) := signal("s-embargo", "politie-rotterdam", {
	"data_classes": ["gewoon", "politiegegevens"],
	"flags": {"embargo_until": until},
})

test_an_embargoed_signal_is_withheld_from_the_riec if {
	d := release.decision with input as request_with([embargoed("2026-06-01")], [])
	"embargo-lopend-onderzoek" in withheld_codes(d, "riec-rr", "s-embargo")
}

test_an_embargoed_signal_still_goes_to_the_police_and_the_om if {
	d := release.decision with input as request_with([embargoed("2026-06-01")], [])
	released(d, "politie-rotterdam", "s-embargo")
	released(d, "om-rotterdam", "s-embargo")
	"embargo-uitzondering-politie-om" in recipient_codes(d, "om-rotterdam")
}

test_an_embargo_holds_on_its_last_day if {
	d := release.decision with input as request_with([embargoed("2026-03-01")], [])
	"embargo-lopend-onderzoek" in withheld_codes(d, "riec-rr", "s-embargo")
}

test_an_expired_embargo_no_longer_holds if {
	d := release.decision with input as request_with([embargoed("2026-02-28")], [])
	released(d, "riec-rr", "s-embargo")
}

# --- The investigation's embargo (decision point embargo) -----------------------------------------

# The municipality's own signal about a subject the OM put under embargo: the gateway flags it.
under_investigation(id, party_id, until) := signal(id, party_id, {"flags": object.union(no_flags, {"investigation_embargo": {
	"until": until,
	"allowed_types": ["politie", "om"],
}})})

test_an_investigation_embargo_withholds_another_partners_signal if {
	d := release.decision with input as request({"signals": [under_investigation("s-gemeente", "gemeente-rotterdam", "2026-06-01"), police_signal]})
	"embargo-onderzoek" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
	"embargo-onderzoek" in withheld_codes(d, "riec-rr", "s-gemeente")
	not released(d, "gemeente-rotterdam", "s-gemeente")
}

test_an_investigation_embargo_lets_the_allowed_types_receive if {
	d := release.decision with input as request({"signals": [under_investigation("s-gemeente", "gemeente-rotterdam", "2026-06-01"), police_signal]})
	released(d, "politie-rotterdam", "s-gemeente")
	released(d, "om-rotterdam", "s-gemeente")
	"embargo-onderzoek-ontvanger-toegestaan" in recipient_codes(d, "om-rotterdam")
	not "embargo-onderzoek" in withheld_codes(d, "om-rotterdam", "s-gemeente")
}

test_an_investigation_embargo_holds_on_its_last_day_and_not_after if {
	last := release.decision with input as request({"signals": [under_investigation("s-gemeente", "gemeente-rotterdam", "2026-03-01"), police_signal]})
	"embargo-onderzoek" in withheld_codes(last, "gemeente-rotterdam", "s-gemeente")
	after := release.decision with input as request({"signals": [under_investigation("s-gemeente", "gemeente-rotterdam", "2026-02-28"), police_signal]})
	released(after, "gemeente-rotterdam", "s-gemeente")
}

test_an_investigation_embargo_leaves_other_signals_alone if {
	d := release.decision with input as request({"signals": [under_investigation("s-politie", "politie-rotterdam", "2026-06-01"), municipal_signal]})
	released(d, "gemeente-rotterdam", "s-gemeente")
	not "embargo-onderzoek" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
}

test_an_investigation_embargo_allows_only_the_types_it_names if {
	only_om := signal("s-gemeente", "gemeente-rotterdam", {"flags": object.union(no_flags, {"investigation_embargo": {
		"until": "2026-06-01",
		"allowed_types": ["om"],
	}})})
	d := release.decision with input as request({"signals": [only_om, police_signal]})
	released(d, "om-rotterdam", "s-gemeente")
	"embargo-onderzoek" in withheld_codes(d, "politie-rotterdam", "s-gemeente")
}

# --- Minors ------------------------------------------------------------------------------------

minor_signal := signal("s-minor", "gemeente-rotterdam", {"form": "criminele_uitbuiting", "flags": {"minor": true}})

test_a_minors_data_is_released_with_the_extra_safeguards if {
	d := release.decision with input as request_with([minor_signal], [])
	released(d, "politie-rotterdam", "s-minor")
	"minderjarige-waarborgen" in recipient_codes(d, "politie-rotterdam")
}

test_a_minors_data_is_not_released_for_administrative_intervention if {
	req := request_with([minor_signal], [])
	d := release.decision with input as object.union(req, {"case": {"purpose": "bestuurlijke_interventie"}})
	"minderjarige-doel-niet-toegestaan" in withheld_codes(d, "politie-rotterdam", "s-minor")
	released(d, "politie-rotterdam", "s-gemeente")
}

test_a_minors_data_needs_a_privacy_officers_approval if {
	# Even if the covenant ever dropped the privacy officer from the general four-eyes rule.
	req := request_with([minor_signal], [])
	without_po := object.union(req, {"case": {"approvals": [four_eyes[0], {"party": "riec-rr", "role": "analist", "sub": "an-1"}]}})
	d := release.decision with input as without_po
		with data.covenant.release.required_approvals as ["casusregisseur", "analist"]
	"minderjarige-goedkeuring-ontbreekt" in withheld_codes(d, "politie-rotterdam", "s-minor")
	released(d, "politie-rotterdam", "s-gemeente")
}

test_a_minors_data_does_not_go_to_the_housing_association if {
	d := release.decision with input as request_with([minor_signal], ["woningcorporatie-maasoever"])
	"minderjarige-ontvanger-niet-toegestaan" in withheld_codes(d, "woningcorporatie-maasoever", "s-minor")
}

# --- Source protection and fields never released -----------------------------------------------

reported := signal("s-melding", "gemeente-rotterdam", {"fields": ["naam", "adres", "melder_naam", "melder_afdeling", "bron_partij"]})

test_who_reported_is_never_released if {
	d := release.decision with input as request_with([reported], [])
	released(d, "politie-rotterdam", "s-melding")
	not "melder_naam" in released_fields(d, "politie-rotterdam", "s-melding")
	"bronbescherming-melder" in field_codes(d, "s-melding", "melder_naam")
	"bronbescherming-melder" in field_codes(d, "s-melding", "melder_afdeling")
}

test_the_reporting_partner_is_named_unless_source_protected if {
	d := release.decision with input as request_with([reported], [])
	"bron_partij" in released_fields(d, "politie-rotterdam", "s-melding")
	count(field_codes(d, "s-melding", "bron_partij")) == 0
}

test_a_source_protected_signal_does_not_name_the_reporting_partner if {
	protected := object.union(reported, {"flags": {"source_protected": true}})
	d := release.decision with input as request_with([protected], [])
	not "bron_partij" in released_fields(d, "politie-rotterdam", "s-melding")
	"bronbescherming-partij" in field_codes(d, "s-melding", "bron_partij")
	"naam" in released_fields(d, "politie-rotterdam", "s-melding")
}

test_the_bsn_is_never_released if {
	with_bsn := signal("s-bsn", "gemeente-rotterdam", {"fields": ["naam", "bsn"]})
	d := release.decision with input as request_with([with_bsn], [])
	released_fields(d, "politie-rotterdam", "s-bsn") == {"naam"}
	"veld-nooit-verstrekken" in field_codes(d, "s-bsn", "bsn")
}

test_a_signal_with_only_reporter_fields_is_withheld if {
	only_reporter := signal("s-alleen-melder", "gemeente-rotterdam", {"fields": ["melder_naam"]})
	d := release.decision with input as request_with([only_reporter], [])
	"geen-vrijgeefbare-velden" in withheld_codes(d, "politie-rotterdam", "s-alleen-melder")
}

# --- Fields of the signal's classes and need-to-know -------------------------------------------

test_a_field_outside_the_signals_classes_is_withheld if {
	mislabelled := signal("s-label", "gemeente-rotterdam", {"fields": ["naam", "omschrijving"]})
	d := release.decision with input as request_with([mislabelled], [])
	released_fields(d, "politie-rotterdam", "s-label") == {"naam"}
	"veld-buiten-gegevensklasse" in field_codes(d, "s-label", "omschrijving")
}

test_a_field_of_the_signals_class_is_released if {
	d := release.decision with input as request({})
	"omschrijving" in released_fields(d, "politie-rotterdam", "s-politie")
}

test_the_housing_association_receives_only_the_fields_it_needs if {
	with_phone := signal("s-tel", "gemeente-rotterdam", {"fields": ["naam", "adres", "telefoon"]})
	d := release.decision with input as request_with([with_phone], ["woningcorporatie-maasoever"])
	released_fields(d, "woningcorporatie-maasoever", "s-tel") == {"naam", "adres"}
	some w in d.releases["woningcorporatie-maasoever"].withheld_fields
	w.field == "telefoon"
	w.code == "veld-buiten-noodzaak"
	"s-tel" in w.signals
	"telefoon" in released_fields(d, "gemeente-rotterdam", "s-tel")
}

test_a_signal_with_no_needed_field_is_withheld_from_the_housing_association if {
	phone_only := signal("s-alleen-tel", "gemeente-rotterdam", {"fields": ["telefoon", "email"]})
	d := release.decision with input as request_with([phone_only], ["woningcorporatie-maasoever"])
	"geen-velden-nodig-voor-ontvanger" in withheld_codes(d, "woningcorporatie-maasoever", "s-alleen-tel")
	released(d, "gemeente-rotterdam", "s-alleen-tel")
}

# --- Forms outside the covenant ----------------------------------------------------------------

test_human_smuggling_is_never_released if {
	smuggling := signal("s-smokkel", "politie-rotterdam", {"form": "mensensmokkel", "data_classes": ["politiegegevens"]})
	d := release.decision with input as request_with([smuggling], [])
	"buiten-reikwijdte-convenant" in withheld_codes(d, "politie-rotterdam", "s-smokkel")
}

test_labour_exploitation_is_within_the_covenant if {
	d := release.decision with input as request({})
	not "buiten-reikwijdte-convenant" in withheld_codes(d, "gemeente-rotterdam", "s-gemeente")
}

# --- Nothing to release ------------------------------------------------------------------------

test_a_case_where_every_signal_is_withheld_is_not_allowed if {
	d := release.decision with input as request({"participants": [participant("woningcorporatie-maasoever")]})
		with data.covenant.party_types.woningcorporatie.need_to_know_fields as ["vhe"]
	not d.allow
	"niets-verstrekt" in case_codes(d)
}

test_a_case_that_releases_something_has_no_nothing_released_reason if {
	d := release.decision with input as request({})
	not "niets-verstrekt" in case_codes(d)
}

# =============================================================================================
# The output contract (README.md, "Uitkomst")
# =============================================================================================

test_signals_withheld_for_the_same_reason_share_one_entry if {
	second := signal("s-politie-2", "politie-rotterdam", {"data_classes": ["gewoon", "politiegegevens"]})
	d := release.decision with input as request_with([second], [])
	groups := [group |
		some group in d.releases["gemeente-rotterdam"].withheld
		group.code == "politiegegevens-geen-grondslag"
	]
	count(groups) == 1
	{s | some s in groups[0].signals} == {"s-politie", "s-politie-2"}
	groups[0].basis != ""
	contains(groups[0].message, "politiegegevens")
}

test_every_withheld_entry_names_at_least_one_signal if {
	d := release.decision with input as request_with([care_signal(no_flags), minor_signal], ["woningcorporatie-maasoever", "gemeente-alblasserdam"])
	every _, release in d.releases {
		every group in release.withheld {
			count(group.signals) > 0
		}
	}
	every group in d.withheld {
		count(group.signals) > 0
	}
	every group in d.fields_withheld {
		count(group.signals) > 0
	}
}

test_a_blocked_case_withholds_every_signal_under_each_case_reason if {
	d := release.decision with input as with_case({"stage": "weging", "approvals": []})
	every p in ["politie-rotterdam", "gemeente-rotterdam"] {
		d.releases[p].signals == {}
		every s in ["s-gemeente", "s-politie"] {
			count({"alleen-metadata-voor-casusoverleg", "goedkeuring-ontbreekt"} - withheld_codes(d, p, s)) == 0
		}
	}
	# Once for the whole case, not once per participant.
	{group.code | some group in d.withheld} == {"alleen-metadata-voor-casusoverleg", "goedkeuring-ontbreekt"}
	d.releases["politie-rotterdam"].withheld == set()
}

test_a_reason_that_holds_for_every_recipient_is_listed_once if {
	d := release.decision with input as request_with([care_signal(no_flags)], ["zorgcoordinator-rr"])
	some group in d.withheld
	group.code == "zorg-zonder-toestemming-of-acuut-gevaar"
	group.signals == {"s-zorg"}
	every _, release in d.releases {
		every own in release.withheld {
			own.code != "zorg-zonder-toestemming-of-acuut-gevaar"
		}
	}
	"zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
}

test_a_field_withheld_from_everyone_lists_its_signals_once if {
	also_reported := signal("s-melding-2", "politie-rotterdam", {"fields": ["naam", "melder_naam"]})
	d := release.decision with input as request_with([reported, also_reported], [])
	groups := [group | some group in d.fields_withheld; group.field == "melder_naam"]
	count(groups) == 1
	groups[0].code == "bronbescherming-melder"
	{s | some s in groups[0].signals} == {"s-melding", "s-melding-2"}
}

test_flags_that_are_not_set_may_be_left_out if {
	without_flags := object.remove(signal("s-kaal", "gemeente-rotterdam", {}), ["flags"])
	only_minor := signal("s-alleen-minor", "gemeente-rotterdam", {"form": "criminele_uitbuiting", "flags": {"minor": true}})
	d := release.decision with input as request_with([without_flags, only_minor], ["woningcorporatie-maasoever"])
	released(d, "politie-rotterdam", "s-kaal")
	released(d, "politie-rotterdam", "s-alleen-minor")
	"minderjarige-ontvanger-niet-toegestaan" in withheld_codes(d, "woningcorporatie-maasoever", "s-alleen-minor")
	not "minderjarige-ontvanger-niet-toegestaan" in withheld_codes(d, "woningcorporatie-maasoever", "s-kaal")
}

test_a_flag_that_is_null_or_false_is_not_set if {
	consent_null := care_signal({"consent": null})
	d := release.decision with input as request_with([consent_null], ["zorgcoordinator-rr"])
	"zorg-zonder-toestemming-of-acuut-gevaar" in withheld_codes(d, "zorgcoordinator-rr", "s-zorg")
}

test_a_signal_without_fields_is_withheld if {
	no_fields := object.remove(signal("s-leeg", "gemeente-rotterdam", {}), ["fields"])
	d := release.decision with input as request_with([no_fields], [])
	"geen-vrijgeefbare-velden" in withheld_codes(d, "politie-rotterdam", "s-leeg")
}

test_two_participants_of_one_type_receive_the_same if {
	d := release.decision with input as request_with([], ["gemeente-vlaardingen"])
	d.releases["gemeente-vlaardingen"].signals == d.releases["gemeente-rotterdam"].signals
	d.releases["gemeente-vlaardingen"].withheld == d.releases["gemeente-rotterdam"].withheld
}
