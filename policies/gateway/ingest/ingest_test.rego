package gateway.ingest_test

import rego.v1

import data.gateway.ingest

# --- Input builders: a batch from a covenant party, with signals that differ only where a test
# says so. -----------------------------------------------------------------------------------------

now := "2026-03-01T10:00:00Z"

no_flags := {"minor": false, "consent": null, "embargo_until": null, "source_protected": false}

signal(overrides) := object.union(
	{
		"index": 0,
		"ref": "SIG-0001",
		"form": "arbeidsuitbuiting",
		"indicators": ["ARB-ONDERBETALING"],
		"data_classes": ["gewoon"],
		"certainty": "vermoeden",
		"municipality": "GM0599",
		"flags": no_flags,
		"subject_kinds": ["persoon", "adres"],
		"subject_roles": ["slachtoffer", "verblijfplaats"],
	},
	overrides,
)

party(party_id) := {
	"id": party_id,
	"type": data.covenant.parties[party_id].type,
	"signatory": data.covenant.parties[party_id].signatory,
	"roles": data.covenant.parties[party_id].roles,
}

adapter := {"sub": "adapter-01", "roles": ["adapter"]}

batch(party_id, signals) := {"now": now, "party": party(party_id), "caller": adapter, "signals": signals}

from_municipality(signals) := batch("gemeente-rotterdam", signals)

from_police(signals) := batch("politie-rotterdam", signals)

from_care(signals) := batch("zorgcoordinator-rr", signals)

# What the decision says about the batch and about signal number i.
batch_codes(decision) := {r.code | some r in decision.reasons}

signal_codes(decision, i) := {r.code | some r in decision.signals[format_int(i, 10)].reasons}

# Why signal number i of a batch is allowed: the grounds found for it. The decision states them
# once per reason for the whole batch, so a test of one signal asks the rule itself.
ground_codes(batch_input, i) := {r.code |
	pairs := ingest.ground_pairs with input as batch_input
	some [index, r] in pairs
	index == i
}

care_signal(flags) := signal({
	"form": "seksuele_uitbuiting",
	"data_classes": ["gewoon", "zorg_beroepsgeheim"],
	"flags": flags,
})

# --- Who submits ---------------------------------------------------------------------------------

test_a_signatory_adapter_may_submit_an_ordinary_signal if {
	submitted := from_municipality([signal({})])
	d := ingest.decision with input as submitted
	d.allow
	d.signals["0"].allow
	d.signals["0"].reasons == set()
	"aanlevering-toegestaan" in batch_codes(d)
	"gegevensklassen-toegestaan" in ground_codes(submitted, 0)
	"gegevensklassen-toegestaan" in batch_codes(d)
}

# A refused signal's reasons say why it was refused, never why something else was fine; a
# refused batch's reasons carry no grounds of its signals either.
test_a_refused_signal_gets_only_its_refusals if {
	d := ingest.decision with input as from_care([care_signal({"consent": false})])
	signal_codes(d, 0) == {"zorg-zonder-toestemming"}
	not "gegevensklassen-toegestaan" in batch_codes(d)
	"zorg-zonder-toestemming" in batch_codes(d)
}

test_a_caller_without_the_adapter_role_is_refused if {
	d := ingest.decision with input as object.union(
		from_municipality([signal({})]),
		{"caller": {"sub": "medewerker-7", "roles": ["deelnemer"]}},
	)
	not d.allow
	"aanroeper-geen-adapter" in batch_codes(d)
	not d.signals["0"].allow
}

test_a_caller_with_the_adapter_role_is_not_refused_for_its_role if {
	d := ingest.decision with input as from_municipality([signal({})])
	not "aanroeper-geen-adapter" in batch_codes(d)
}

test_a_party_the_covenant_gives_no_adapter_role_is_refused if {
	d := ingest.decision with input as from_municipality([signal({})])
		with data.covenant.parties["gemeente-rotterdam"].roles as ["deelnemer"]
	not d.allow
	"aanroeper-geen-adapter" in batch_codes(d)
}

test_a_non_signatory_may_not_submit if {
	d := ingest.decision with input as batch("gemeente-alblasserdam", [signal({})])
	not d.allow
	"partij-geen-ondertekenaar" in batch_codes(d)
}

test_a_party_claiming_to_be_signatory_is_checked_against_the_covenant if {
	d := ingest.decision with input as object.union(
		batch("gemeente-alblasserdam", [signal({})]),
		{"party": {"signatory": true}},
	)
	not d.allow
	"partij-geen-ondertekenaar" in batch_codes(d)
}

test_a_signatory_is_not_refused_for_signing if {
	d := ingest.decision with input as from_municipality([signal({})])
	not "partij-geen-ondertekenaar" in batch_codes(d)
}

test_an_unknown_party_type_is_refused if {
	d := ingest.decision with input as object.union(from_municipality([signal({})]), {"party": {"type": "reisbureau"}})
	not d.allow
	"partijtype-onbekend" in batch_codes(d)
}

test_a_known_party_type_is_not_refused_for_its_type if {
	d := ingest.decision with input as from_municipality([signal({})])
	not "partijtype-onbekend" in batch_codes(d)
}

test_an_empty_batch_is_refused if {
	d := ingest.decision with input as from_municipality([])
	not d.allow
	"lege-batch" in batch_codes(d)
}

test_a_batch_with_a_signal_is_not_empty if {
	d := ingest.decision with input as from_municipality([signal({})])
	not "lege-batch" in batch_codes(d)
}

# --- What is submitted ---------------------------------------------------------------------------

test_cie_intelligence_is_never_accepted_not_even_from_the_police if {
	d := ingest.decision with input as from_police([signal({"data_classes": ["politiegegevens", "cie"]})])
	not d.allow
	"cie-nooit-opnemen" in signal_codes(d, 0)
}

test_police_data_without_cie_is_accepted_from_the_police if {
	d := ingest.decision with input as from_police([signal({"data_classes": ["gewoon", "politiegegevens"]})])
	d.allow
	not "cie-nooit-opnemen" in signal_codes(d, 0)
	not "gegevensklasse-niet-voor-partijtype" in signal_codes(d, 0)
}

test_a_municipality_may_not_submit_police_data if {
	d := ingest.decision with input as from_municipality([signal({"data_classes": ["gewoon", "politiegegevens"]})])
	not d.allow
	"gegevensklasse-niet-voor-partijtype" in signal_codes(d, 0)
}

test_a_municipality_may_submit_sex_work_licence_data if {
	d := ingest.decision with input as from_municipality([signal({"data_classes": ["gewoon", "seksueel_leven"]})])
	d.allow
	not "gegevensklasse-niet-voor-partijtype" in signal_codes(d, 0)
}

test_one_refused_signal_refuses_the_whole_batch if {
	d := ingest.decision with input as from_municipality([
		signal({}),
		signal({"index": 1, "ref": "SIG-0002", "data_classes": ["fiscaal"]}),
	])
	not d.allow
	not d.signals["1"].allow
	"gegevensklasse-niet-voor-partijtype" in signal_codes(d, 1)
	not "gegevensklasse-niet-voor-partijtype" in signal_codes(d, 0)
}

test_a_signal_without_data_classes_is_refused if {
	d := ingest.decision with input as from_municipality([signal({"data_classes": []})])
	not d.allow
	"signaal-onvolledig" in signal_codes(d, 0)
}

test_a_complete_signal_is_not_called_incomplete if {
	d := ingest.decision with input as from_municipality([signal({})])
	not "signaal-onvolledig" in signal_codes(d, 0)
}

# --- Care data (beroepsgeheim) -------------------------------------------------------------------

test_care_data_without_consent_is_refused if {
	d := ingest.decision with input as from_care([care_signal({"consent": null})])
	not d.allow
	"zorg-zonder-toestemming" in signal_codes(d, 0)
}

test_care_data_with_refused_consent_is_refused if {
	d := ingest.decision with input as from_care([care_signal({"consent": false})])
	not d.allow
	"zorg-zonder-toestemming" in signal_codes(d, 0)
}

test_care_data_with_consent_is_accepted if {
	submitted := from_care([care_signal({"consent": true})])
	d := ingest.decision with input as submitted
	d.allow
	"zorg-met-toestemming" in ground_codes(submitted, 0)
	"zorg-met-toestemming" in batch_codes(d)
	not "zorg-zonder-toestemming" in signal_codes(d, 0)
}

test_care_data_without_consent_is_accepted_for_a_minor_in_sexual_exploitation if {
	submitted := from_care([care_signal({"consent": null, "minor": true})])
	d := ingest.decision with input as submitted
	d.allow
	"zorg-urgent-zonder-toestemming" in ground_codes(submitted, 0)
	"urgent-signaal" in ground_codes(submitted, 0)
}

test_health_data_from_a_care_partner_counts_as_care_data if {
	d := ingest.decision with input as from_care([signal({"data_classes": ["gewoon", "gezondheid"]})])
	not d.allow
	"zorg-zonder-toestemming" in signal_codes(d, 0)
}

test_ordinary_data_from_a_care_partner_needs_no_consent if {
	d := ingest.decision with input as from_care([signal({"data_classes": ["gewoon"]})])
	d.allow
	not "zorg-zonder-toestemming" in signal_codes(d, 0)
}

# --- Embargo -------------------------------------------------------------------------------------

test_the_police_may_set_an_embargo if {
	submitted := from_police([signal({
		"data_classes": ["politiegegevens"],
		"flags": {"embargo_until": "2026-06-01"},
	})])
	d := ingest.decision with input as submitted
	d.allow
	"embargo-vastgelegd" in ground_codes(submitted, 0)
	not "embargo-niet-bevoegd" in signal_codes(d, 0)
}

test_a_municipality_may_not_set_an_embargo if {
	d := ingest.decision with input as from_municipality([signal({"flags": {"embargo_until": "2026-06-01"}})])
	not d.allow
	"embargo-niet-bevoegd" in signal_codes(d, 0)
}

# --- Forms outside the covenant ------------------------------------------------------------------

test_human_smuggling_is_accepted_with_a_label if {
	submitted := from_police([signal({"form": "mensensmokkel", "data_classes": ["politiegegevens"]})])
	d := ingest.decision with input as submitted
	d.allow
	"buiten-reikwijdte-gelabeld" in ground_codes(submitted, 0)
	"buiten-reikwijdte-gelabeld" in batch_codes(d)
}

test_labour_exploitation_gets_no_out_of_scope_label if {
	submitted := from_municipality([signal({})])
	d := ingest.decision with input as submitted
	d.allow
	not "buiten-reikwijdte-gelabeld" in ground_codes(submitted, 0)
	not "buiten-reikwijdte-gelabeld" in batch_codes(d)
}

test_the_urgency_reason_names_the_matching_rule if {
	d := ingest.decision with input as from_police([signal({
		"form": "seksuele_uitbuiting",
		"data_classes": ["politiegegevens"],
		"flags": {"minor": true},
	})])
	some r in d.reasons
	r.code == "urgent-signaal"
	contains(r.message, "minderjarige-seksuele-uitbuiting")
}

test_an_adult_in_labour_exploitation_is_not_urgent if {
	submitted := from_municipality([signal({})])
	not "urgent-signaal" in ground_codes(submitted, 0)
	not "urgent-signaal" in batch_codes(ingest.decision) with input as submitted
}
