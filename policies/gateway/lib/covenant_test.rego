package gateway.lib.covenant_test

import rego.v1

import data.gateway.case
import data.gateway.hits
import data.gateway.lib.covenant as lib
import data.gateway.release

# =============================================================================================
# The shared notions
# =============================================================================================

no_flags := {"minor": false}

minor := {"minor": true}

test_a_minor_in_sexual_exploitation_is_urgent if {
	lib.is_urgent("seksuele_uitbuiting", [], minor)
}

test_an_adult_in_sexual_exploitation_is_not_urgent if {
	not lib.is_urgent("seksuele_uitbuiting", [], no_flags)
}

test_the_minor_in_sex_work_indicator_is_urgent_whatever_the_form if {
	lib.is_urgent("onbekend", ["HUIS-OVERBEWONING", "SEKS-MINDERJARIG"], no_flags)
}

test_an_urgency_rule_without_conditions_makes_nothing_urgent if {
	not lib.is_urgent("arbeidsuitbuiting", [], no_flags) with data.covenant.thresholds.urgency.rules as [{"id": "leeg"}]
}

test_the_matching_urgency_rules_are_named if {
	lib.urgency_rules_matching("seksuele_uitbuiting", ["SEKS-MINDERJARIG"], minor) == {"minderjarige-seksuele-uitbuiting", "minderjarige-in-seksbranche"}
}

test_professional_secrecy_data_is_care_data_from_anyone if {
	lib.is_care_data("zvh", ["gewoon", "zorg_beroepsgeheim"])
}

test_health_data_from_a_care_partner_is_care_data if {
	lib.is_care_data("zorg", ["gezondheid"])
}

test_health_data_from_another_partner_is_not_care_data if {
	not lib.is_care_data("zvh", ["gezondheid"])
}

test_an_embargo_holds_through_its_date_in_dutch_time if {
	# 23:30 UTC on 1 May is already 2 May in the Netherlands.
	lib.embargo_active({"embargo_until": "2026-05-01"}, "2026-05-01T21:30:00Z")
	not lib.embargo_active({"embargo_until": "2026-05-01"}, "2026-05-01T23:30:00Z")
}

test_no_embargo_date_means_no_embargo if {
	not lib.embargo_active({"embargo_until": null}, "2026-05-01T10:00:00Z")
	not lib.embargo_active({}, "2026-05-01T10:00:00Z")
}

test_the_covenant_decides_who_signed if {
	lib.is_signatory("gemeente-rotterdam")
	not lib.is_signatory("gemeente-alblasserdam")
	not lib.is_signatory("onbekende-partij")
}

test_a_type_receives_a_class_only_with_a_basis_and_names_it if {
	lib.type_may_receive("politie", "politiegegevens")
	contains(lib.receive_basis("politie", "politiegegevens"), "Wpg")
	not lib.type_may_receive("gemeente", "politiegegevens")
	not lib.receive_basis("gemeente", "politiegegevens")
	not lib.type_may_receive("onbekend-type", "gewoon")
}

# =============================================================================================
# The covenant data is consistent (run after every change to covenant/data.json)
# =============================================================================================

covenant := data.covenant

known_classes := {c | some c, _ in covenant.data_classes}

known_types := {t | some t, _ in covenant.party_types}

known_purposes := {p | some p, _ in covenant.purposes}

test_every_party_has_a_known_type if {
	every party in covenant.parties {
		party.type in known_types
	}
}

test_every_party_type_names_known_purposes_and_classes if {
	every _, rules in covenant.party_types {
		every purpose in rules.purposes {
			purpose in known_purposes
		}
		every data_class in rules.may_submit {
			data_class in known_classes
		}
		every data_class, grant in rules.may_receive {
			data_class in known_classes
			count(grant.basis) > 0
		}
	}
}

# A basis serves purposes of its own type, and at least one (otherwise the grant is dead).
test_every_basis_serves_purposes_of_its_type if {
	every _, rules in covenant.party_types {
		every _, grant in rules.may_receive {
			count(grant.purposes) > 0
			every purpose in grant.purposes {
				purpose in rules.purposes
			}
		}
	}
}

test_the_bibob_basis_serves_administrative_intervention_only if {
	lib.basis_serves("gemeente", "strafrechtelijk", "bestuurlijke_interventie")
	not lib.basis_serves("gemeente", "strafrechtelijk", "ketenaanpak")
	not lib.basis_serves("gemeente", "strafrechtelijk", "opsporing_vervolging")
	not lib.basis_serves("gemeente", "politiegegevens", "bestuurlijke_interventie")
}

test_the_fiod_basis_serves_investigation_only if {
	lib.basis_serves("belastingdienst", "strafrechtelijk", "opsporing_vervolging")
	not lib.basis_serves("belastingdienst", "strafrechtelijk", "ketenaanpak")
}

test_cie_may_be_neither_submitted_nor_received if {
	every _, rules in covenant.party_types {
		not "cie" in rules.may_submit
		not rules.may_receive.cie
	}
}

test_police_data_goes_only_to_types_with_a_wpg_basis if {
	every _, rules in covenant.party_types {
		every data_class, grant in rules.may_receive {
			police_grant_cites_wpg(data_class, grant)
		}
	}
	receiving := {t | some t, rules in covenant.party_types; rules.may_receive.politiegegevens}
	count(receiving - {"politie", "om", "kmar", "riec"}) == 0
}

police_grant_cites_wpg(data_class, _) if data_class != "politiegegevens"

police_grant_cites_wpg("politiegegevens", grant) if contains(grant.basis, "Wpg")

test_tax_data_goes_only_with_an_awr_basis if {
	every _, rules in covenant.party_types {
		every data_class, grant in rules.may_receive {
			tax_grant_cites_awr(data_class, grant)
		}
	}
}

tax_grant_cites_awr(data_class, _) if data_class != "fiscaal"

tax_grant_cites_awr("fiscaal", grant) if contains(grant.basis, "AWR")

test_reporter_and_never_released_fields_belong_to_no_class if {
	class_fields := {f | some fields in covenant.fields; some f in fields}
	every f in covenant.source_protection.reporter_fields {
		not f in class_fields
	}
	every f, _ in covenant.never_released_fields {
		not f in class_fields
	}
}

test_need_to_know_lists_name_existing_fields if {
	class_fields := {f | some fields in covenant.fields; some f in fields}
	every _, rules in covenant.party_types {
		every f in object.get(rules, "need_to_know_fields", []) {
			f in class_fields
		}
	}
}

test_release_keeps_four_eyes if {
	count({r | some r in covenant.release.required_approvals}) >= 2
	covenant.release.approvals_by_different_persons == true
}

test_every_stage_has_a_known_level if {
	every _, level in covenant.release.stages {
		level in {"metadata", "details", "interventie", "geen"}
	}
}

test_thresholds_keep_at_least_two_partners if {
	covenant.thresholds.hits.min_parties >= 2
	covenant.thresholds.hits.window_days > 0
	covenant.thresholds.proportionality.min_independent_parties >= 2
}

test_every_urgency_rule_has_an_id_and_a_condition if {
	every rule in covenant.thresholds.urgency.rules {
		count(rule.id) > 0
		lib.urgency_rule_has_condition(rule)
	}
}

test_types_named_in_rules_exist if {
	named := {t |
		some list in [
			covenant.embargo.may_set_types,
			covenant.embargo.exempt_recipient_types,
			covenant.care_data.recipient_types,
			covenant.care_data.source_types,
			covenant.minors.recipient_types,
			covenant.access.hits.party_types,
			covenant.access.release.party_types,
		]
		some t in list
	}
	count(named - known_types) == 0
}

test_purposes_named_in_rules_exist if {
	count({p | some p in covenant.minors.purposes} - known_purposes) == 0
}

test_retention_periods_are_positive_whole_days if {
	every key in ["unlinked_signal_days", "decision_record_days", "closed_case_days", "max_extension_days"] {
		is_number(covenant.retention[key])
		covenant.retention[key] == round(covenant.retention[key])
		covenant.retention[key] > 0
	}
}

test_small_cells_are_suppressed if {
	covenant.small_cell_threshold >= 2
}

# Every "Convenant art. N lid M" cited anywhere in the covenant data names an existing article
# and member (lid) in `articles`.
test_every_cited_covenant_article_exists if {
	citations := {[m[1], m[2]] |
		walk(covenant, [_, value])
		is_string(value)
		some m in regex.find_all_string_submatch_n(`Convenant art\. (\d+)(?: lid (\d+))?`, value, -1)
	}
	count(citations) > 0
	every citation in citations {
		covenant.articles[citation[0]]
		cited_member_exists(citation[0], citation[1])
	}
}

cited_member_exists(_, "")

cited_member_exists(article, member) if covenant.articles[article].leden[member]

# =============================================================================================
# Independent partners: one definition, the same count in every decision point
# =============================================================================================
#
# The same signals go to the hits rule (one cluster), the case policy (the hit's sources when a
# case is opened) and the release (the case's signals); each must count the same independent
# partners: not the RIEC's analysis signal, not a partner with only human smuggling or CIE.

source_signal(id, party, overrides) := object.union(
	{
		"id": id,
		"party": party,
		"party_type": data.covenant.parties[party].type,
		"form": "arbeidsuitbuiting",
		"indicators": [],
		"minor": false,
		"observed_at": "2026-01-15T00:00:00Z",
		"data_classes": ["gewoon"],
		"fields": ["naam", "adres"],
		"flags": {},
	},
	overrides,
)

one_partner_and_the_riec := [
	source_signal("s1", "gemeente-rotterdam", {}),
	source_signal("s2", "riec-rr", {}),
	source_signal("s3", "politie-rotterdam", {"form": "mensensmokkel"}),
	source_signal("s4", "politie-rotterdam", {"data_classes": ["cie"]}),
]

two_partners_and_the_riec := array.concat(one_partner_and_the_riec, [source_signal("s5", "om-rotterdam", {"data_classes": ["gewoon", "strafrechtelijk"]})])

pinned_count := {"min_independent_parties": 2, "not_independent_types": ["riec"]}

# [is a hit, case may be opened, release is proportionate] for these signals.
verdicts(signals) := [hit, opened, released] if {
	hit := hits_decision(signals).hits.c1.hit
	opened := "proportioneel" in {r.code | some r in case_decision(signals).reasons}
	released := "proportioneel" in {r.code | some r in release_decision(signals).reasons}
}

hits_decision(signals) := d if {
	d := hits.decision with input as {"action": "evaluate", "now": "2026-03-01T10:00:00Z", "clusters": [{"id": "c1", "signals": signals}]}
		with data.covenant.thresholds.hits as {"min_parties": 2, "window_days": 365}
		with data.covenant.thresholds.proportionality as pinned_count
}

case_decision(signals) := d if {
	d := case.decision with input as case_open_input(signals)
		with data.covenant.thresholds.proportionality as pinned_count
}

case_open_input(signals) := {
	"action": "open",
	"now": "2026-03-01T10:00:00Z",
	"requester": {"party": "riec-rr", "type": "riec", "signatory": true, "roles": ["casusregisseur"], "sub_alias": "persoon-1"},
	"case": {
		"id": "",
		"stage": "dossiervorming",
		"purpose": "ketenaanpak",
		"split_meeting": false,
		"approvals": [],
		"participants": ["gemeente-rotterdam", "politie-rotterdam"],
		"hit": {"id": "hit-1", "status": "open", "urgent": false, "signals": count(signals), "parties": 4, "sources": signals},
	},
}

release_decision(signals) := d if {
	d := release.decision with input as release_input(signals)
		with data.covenant.thresholds.proportionality as pinned_count
}

release_input(signals) := {
	"now": "2026-03-01T10:00:00Z",
	"requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"], "sub": "cr-1"},
	"case": {
		"id": "c",
		"stage": "casusoverleg",
		"purpose": "ketenaanpak",
		"acute_danger": false,
		"meeting_part": null,
		"approvals": [
			{"party": "riec-rr", "role": "casusregisseur", "sub": "cr-1"},
			{"party": "riec-rr", "role": "privacy_officer", "sub": "po-1"},
		],
	},
	"participants": [{"party": "politie-rotterdam", "type": "politie", "signatory": true}],
	"signals": signals,
}

test_one_partner_and_the_riec_count_as_one_partner_everywhere if {
	lib.independent_parties(one_partner_and_the_riec) == {"gemeente-rotterdam"}
	verdicts(one_partner_and_the_riec) == [false, false, false]
}

test_two_partners_and_the_riec_count_as_two_partners_everywhere if {
	lib.independent_parties(two_partners_and_the_riec) == {"gemeente-rotterdam", "om-rotterdam"}
	verdicts(two_partners_and_the_riec) == [true, true, true]
}

test_the_number_of_independent_partners_is_named_alike if {
	some h in hits_decision(one_partner_and_the_riec).hits.c1.reasons
	h.code == "te-weinig-partijen"
	contains(h.message, "1 onafhankelijke")
	some c in case_decision(one_partner_and_the_riec).reasons
	c.code == "proportionaliteit-te-weinig-partners"
	contains(c.message, "1 onafhankelijke")
	some r in release_decision(one_partner_and_the_riec).reasons
	r.code == "proportionaliteit-te-weinig-partners"
	contains(r.message, "1 onafhankelijke")
}

test_a_partner_the_covenant_does_not_know_counts_by_its_own_type if {
	lib.independent_source({"party": "nieuwe-partner", "party_type": "gemeente", "form": "arbeidsuitbuiting"})
	not lib.independent_source({"party": "nieuw-riec", "party_type": "riec", "form": "arbeidsuitbuiting"})
}

test_a_signal_without_a_partner_is_no_source if {
	not lib.counts_as_source({"party": "", "form": "arbeidsuitbuiting"})
	not lib.counts_as_source({"party": null, "form": "arbeidsuitbuiting"})
	not lib.counts_as_source({"form": "arbeidsuitbuiting"})
}

