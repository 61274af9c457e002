# METADATA
# title: Gedeelde convenantbegrippen
# description: >-
#   Begrippen die meerdere beslispunten gebruiken: wie ondertekenaar is, welke rol een partij
#   mag hebben, wat een urgent signaal is, wat zorggegevens zijn, wanneer een embargo loopt.
#   Alle getallen en lijsten staan in data.covenant (policies/covenant/data.json); hier staat
#   alleen hoe ze worden toegepast.
package gateway.lib.covenant

import rego.v1

# A reason as every decision returns it: a stable code, a Dutch message, the legal basis.
reason(code, message, basis) := {"code": code, "message": message, "basis": basis}

# --- Partners ---------------------------------------------------------------------------------

# The covenant data is the truth about who signed: the gateway's input must agree with it.
is_signatory(party_id) if data.covenant.parties[party_id].signatory == true

# A party may only act in a role the covenant grants it.
party_holds_role(party_id, role) if role in data.covenant.parties[party_id].roles

type_has_purpose(party_type, purpose) if purpose in data.covenant.party_types[party_type].purposes

type_may_submit(party_type, data_class) if data_class in data.covenant.party_types[party_type].may_submit

type_may_receive(party_type, data_class) if data.covenant.party_types[party_type].may_receive[data_class]

# The legal basis on which a party type receives a data class (for "why allowed" reasons).
receive_basis(party_type, data_class) := data.covenant.party_types[party_type].may_receive[data_class].basis

# Human name of a data class for messages ("politiegegevens (Wpg)").
class_name(data_class) := data.covenant.data_classes[data_class].name if {
	data.covenant.data_classes[data_class]
} else := data_class

class_basis(data_class) := data.covenant.data_classes[data_class].basis if {
	data.covenant.data_classes[data_class]
} else := "Convenant art. 9"

# --- Forms of exploitation --------------------------------------------------------------------

# Mensensmokkel is labelled but lies outside the covenant (Convenant art. 5 lid 4).
form_out_of_scope(form) if form in data.covenant.forms.out_of_scope

# A basis serves only the purposes the covenant data name for it (may_receive.<class>.purposes):
# a municipality's Bibob basis serves administrative intervention, not an investigation
# (AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8).
basis_serves(party_type, data_class, purpose) if {
	purpose in data.covenant.party_types[party_type].may_receive[data_class].purposes
}

# --- Independent sources ----------------------------------------------------------------------
#
# One definition for every decision point that counts partners: the hits rule (Convenant art. 6
# lid 1), the case policy's proportionality when a case is opened and the release's (art. 8).
# A signal counts as a source when it names its partner, its form lies within the covenant (not
# human smuggling, art. 5 lid 4) and it holds no CIE information (art. 5 lid 3). It is an
# independent source unless its partner's type is one of
# thresholds.proportionality.not_independent_types: the RIEC's own analysis derives from the
# others' data (art. 8 lid 2). The covenant data decide the type of a partner they know; the
# signal's own party_type counts only for a partner they do not know. The hits rule counts these
# partners within one window (art. 6 lid 1); proportionality counts them in the whole case.

independent_parties(signals) := {signal.party | some signal in signals; independent_source(signal)}

independent_source(signal) if {
	counts_as_source(signal)
	not source_type(signal) in data.covenant.thresholds.proportionality.not_independent_types
}

counts_as_source(signal) if {
	party := object.get(signal, "party", "")
	is_string(party)
	party != ""
	not form_out_of_scope(object.get(signal, "form", ""))
	not "cie" in object.get(signal, "data_classes", [])
}

source_type(signal) := data.covenant.parties[signal.party].type if {
	data.covenant.parties[signal.party].type
} else := object.get(signal, "party_type", "")

# --- Urgency ----------------------------------------------------------------------------------

# A signal is urgent when one of the urgency rules in thresholds.urgency matches it. A rule
# matches when every condition it names holds: its form is one of `forms`, every flag in
# `flags` is true, one of `indicators` is present. A rule that names no condition never matches,
# so an empty rule cannot make everything urgent.
is_urgent(form, indicators, flags) if {
	some rule in data.covenant.thresholds.urgency.rules
	urgency_rule_matches(rule, form, indicators, flags)
}

# The ids of the urgency rules that match, for reasons ("why urgent").
urgency_rules_matching(form, indicators, flags) := {rule.id |
	some rule in data.covenant.thresholds.urgency.rules
	urgency_rule_matches(rule, form, indicators, flags)
}

urgency_rule_matches(rule, form, indicators, flags) if {
	urgency_rule_has_condition(rule)
	urgency_form_matches(rule, form)
	every flag in object.get(rule, "flags", []) {
		object.get(flags, flag, false) == true
	}
	urgency_indicator_matches(rule, indicators)
}

urgency_rule_has_condition(rule) if count(object.get(rule, "forms", [])) > 0

urgency_rule_has_condition(rule) if count(object.get(rule, "flags", [])) > 0

urgency_rule_has_condition(rule) if count(object.get(rule, "indicators", [])) > 0

urgency_form_matches(rule, _) if count(object.get(rule, "forms", [])) == 0

urgency_form_matches(rule, form) if form in rule.forms

urgency_indicator_matches(rule, _) if count(object.get(rule, "indicators", [])) == 0

urgency_indicator_matches(rule, indicators) if {
	some indicator in indicators
	indicator in rule.indicators
}

# --- Care data (beroepsgeheim) ----------------------------------------------------------------

# Care data: data under a care provider's professional secrecy (zorg_beroepsgeheim), or health
# data that comes from a care partner (Convenant art. 10).
is_care_data(_, data_classes) if {
	some data_class in data_classes
	data_class in data.covenant.care_data.classes
}

is_care_data(source_type, data_classes) if {
	source_type in data.covenant.care_data.source_types
	some data_class in data_classes
	data_class in data.covenant.care_data.source_classes
}

# --- Time -------------------------------------------------------------------------------------

day_ns := ((24 * 60) * 60) * 1000000000

# The calendar date of a moment in Dutch local time, as "YYYY-MM-DD".
local_date(rfc3339) := sprintf("%04d-%02d-%02d", time.date([time.parse_rfc3339_ns(rfc3339), "Europe/Amsterdam"]))

# An embargo holds up to and including its date (Convenant art. 11): an embargo "tot 1 mei"
# still holds on 1 May and is lifted on 2 May.
embargo_active(flags, now) if {
	until := object.get(flags, "embargo_until", null)
	is_string(until)
	local_date(now) <= substring(until, 0, 10)
}
