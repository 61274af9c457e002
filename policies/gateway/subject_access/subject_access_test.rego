package gateway.subject_access_test

import rego.v1

import data.gateway.subject_access

# --- Input builders ----------------------------------------------------------------------------

requester(party_id, roles) := {
	"party": party_id,
	"type": data.covenant.parties[party_id].type,
	"roles": roles,
	"sub": "po-1",
}

municipal_privacy_officer := requester("gemeente-rotterdam", ["privacy_officer"])

request(who, kind) := {"requester": who, "subject": {"kind": kind}, "now": "2026-03-01T10:00:00Z"}

codes(d) := {r.code | some r in d.reasons}

# --- Tests -------------------------------------------------------------------------------------

test_a_privacy_officer_of_a_signatory_may_handle_a_request if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "bsn")
	d.allow
	"verstrekkingen" in d.scope
	"inzage-toegestaan" in codes(d)
}

test_the_answer_never_names_the_reporter if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "persoon")
	"melder" in d.excluded
	not "melder" in d.scope
	"inzage-zonder-melder" in codes(d)
}

test_the_answer_names_its_restrictions if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "persoon")
	"inzage-beperkingen" in codes(d)
	"embargo_signalen" in d.excluded
}

test_someone_who_is_not_a_privacy_officer_may_not if {
	d := subject_access.decision with input as request(requester("gemeente-rotterdam", ["deelnemer"]), "bsn")
	not d.allow
	"verzoeker-geen-privacy-officer" in codes(d)
	d.scope == set()
}

test_a_role_the_covenant_does_not_grant_the_party_does_not_count if {
	# The housing association has no privacy officer in the covenant data.
	d := subject_access.decision with input as request(requester("woningcorporatie-maasoever", ["privacy_officer"]), "bsn")
	not d.allow
	"verzoeker-geen-privacy-officer" in codes(d)
}

test_a_privacy_officer_is_not_refused_for_the_role if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "bsn")
	not "verzoeker-geen-privacy-officer" in codes(d)
}

test_a_non_signatory_may_not if {
	d := subject_access.decision with input as request(requester("gemeente-alblasserdam", ["privacy_officer"]), "bsn")
		with data.covenant.parties["gemeente-alblasserdam"].roles as ["privacy_officer"]
	not d.allow
	"partij-geen-ondertekenaar" in codes(d)
}

test_a_signatory_is_not_refused_for_signing if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "bsn")
	not "partij-geen-ondertekenaar" in codes(d)
}

test_a_person_is_not_looked_up_by_address if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "adres")
	not d.allow
	"kenmerk-niet-voor-inzage" in codes(d)
}

test_a_request_without_a_subject_kind_is_refused if {
	d := subject_access.decision with input as {"requester": municipal_privacy_officer, "now": "2026-03-01T10:00:00Z"}
	not d.allow
	"kenmerk-niet-voor-inzage" in codes(d)
}

test_a_person_is_looked_up_by_name_and_birth_date if {
	d := subject_access.decision with input as request(municipal_privacy_officer, "persoon")
	d.allow
	not "kenmerk-niet-voor-inzage" in codes(d)
}
