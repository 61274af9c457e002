# METADATA
# title: Aanlevering van signalen (ingest)
# description: >-
#   Mag deze partner deze batch signalen aanleveren? Eén evaluatie per batch; per signaal een
#   oordeel met redenen. Een batch is atomair: hij wordt alleen opgenomen als elk signaal mag.
#   Zie README.md in deze map voor de invoer en de regels in gewone taal.
package gateway.ingest

import rego.v1

import data.gateway.lib.covenant as lib

# --- The decision ------------------------------------------------------------------------------

# Deny by default: the batch is allowed only when nothing blocks it and every signal is allowed.
default allow := false

allow if {
	count(batch_blockers) == 0
	every signal in batch {
		count(signal_blockers[signal.index]) == 0
	}
}

# The batch's signals; anything that is not a list counts as an empty batch.
batch := input.signals if is_array(input.signals) else := []

# Facts about the submitting party, with defaults so that a reason never goes missing.
party_id := object.get(input, ["party", "id"], "")

party_type := object.get(input, ["party", "type"], "")

decision := {
	"allow": allow,
	"reasons": ((batch_blockers | batch_grounds) | refusals_in_batch) | grounds_in_batch,
	"signals": signals,
}

# The decision's reasons explain its outcome for every signal, once per reason: why any signal
# was refused, or, when the batch is allowed, why its signals are. They are what the gateway
# records and what simulate shows side by side; a signal's own reasons say only why it was
# refused (the gateway returns them to the partner, located at signals[i]).
refusals_in_batch contains reason if {
	some [_, reason] in refusal_pairs
}

grounds_in_batch contains reason if {
	allow
	some [_, reason] in ground_pairs
}

# Per signal, keyed by its position in the batch as a string: whether it may be stored, and why
# not. A signal is only allowed when the batch itself is: a refused batch stores nothing.
signals[format_int(signal.index, 10)] := {
	"allow": signal_allowed(signal),
	"reasons": signal_blockers[signal.index],
} if {
	some signal in batch
}

signal_allowed(signal) if {
	count(batch_blockers) == 0
	count(signal_blockers[signal.index]) == 0
} else := false

# Every signal gets an (possibly empty) set of blockers and of grounds, so lookups never fail.
# The rules below produce [index, reason] pairs; they are grouped by index in one pass over the
# pairs (a rule keyed by index collects them), so a batch of n kinds stays linear in n. A
# comprehension per index that scans the pairs looking for its own was quadratic: OPA did not
# index it, and at 1,000 kinds the decision took half again as long.
signal_blockers := blockers_by_index

refusals_of_index[index] contains reason if some [index, reason] in refusal_pairs

blockers_by_index[index] := object.get(refusals_of_index, index, set()) if {
	some signal in batch
	index := signal.index
}

# --- Batch: who is submitting ------------------------------------------------------------------

caller_is_adapter if {
	some role in data.covenant.access.ingest.roles
	role in input.caller.roles
	lib.party_holds_role(party_id, role)
}

party_is_signatory if {
	input.party.signatory == true
	lib.is_signatory(party_id)
}

party_type_known if data.covenant.party_types[party_type]

batch_blockers contains lib.reason(
	"aanroeper-geen-adapter",
	"Alleen een adapter van de partner mag signalen aanleveren; deze aanroep heeft die rol niet (of de partner mag die rol volgens het convenant niet hebben).",
	"Convenant art. 4 lid 1",
) if not caller_is_adapter

batch_blockers contains lib.reason(
	"partij-geen-ondertekenaar",
	sprintf("Partner %q heeft het convenant niet ondertekend en mag geen signalen aanleveren.", [party_id]),
	"Convenant art. 3 lid 1",
) if not party_is_signatory

batch_blockers contains lib.reason(
	"partijtype-onbekend",
	sprintf("Partnertype %q staat niet in het convenant (party_types).", [party_type]),
	"Convenant art. 5 lid 2",
) if not party_type_known

batch_blockers contains lib.reason(
	"lege-batch",
	"De batch bevat geen signalen.",
	"Convenant art. 5 lid 1",
) if count(batch) == 0

batch_grounds contains lib.reason(
	"aanlevering-toegestaan",
	sprintf("Partner %q is ondertekenaar en levert aan via een adapter.", [party_id]),
	"Convenant art. 3 lid 1; art. 4 lid 1",
) if {
	caller_is_adapter
	party_is_signatory
}

# --- Signal: what is submitted -----------------------------------------------------------------

# The gateway validates signals before this point; the policy does not rely on that.
refusal_pairs contains [signal.index, incomplete] if {
	some signal in batch
	not signal_complete(signal)
}

incomplete := lib.reason(
	"signaal-onvolledig",
	"Het signaal mist de vorm of de gegevensklassen.",
	"AVG art. 5 lid 1 sub d; Convenant art. 5 lid 2",
)

signal_complete(signal) if {
	is_string(signal.form)
	count(signal.data_classes) > 0
}

# CIE intelligence stays with the police, whatever the party (Convenant art. 5 lid 3).
refusal_pairs contains [signal.index, cie_never] if {
	some signal in batch
	"cie" in signal.data_classes
}

cie_never := lib.reason(
	"cie-nooit-opnemen",
	"CIE-informatie (criminele inlichtingen) wordt nooit in de gateway opgenomen; zij blijft bij de politie.",
	"Wpg art. 12; Convenant art. 5 lid 3",
)

refusal_pairs contains [signal.index, lib.reason(
	"gegevensklasse-niet-voor-partijtype",
	sprintf("Partnertype %q mag geen %s aanleveren.", [party_type, lib.class_name(data_class)]),
	sprintf("%s; Convenant art. 5 lid 2", [lib.class_basis(data_class)]),
)] if {
	some signal in batch
	some data_class in signal.data_classes
	data_class != "cie"
	not lib.type_may_submit(party_type, data_class)
}

refusal_pairs contains [signal.index, care_without_consent] if {
	some signal in batch
	care_data[signal.index]
	not has_consent(signal)
	not urgent[signal.index]
}

care_without_consent := lib.reason(
	"zorg-zonder-toestemming",
	"Zorggegevens onder beroepsgeheim mogen alleen worden aangeleverd met toestemming van de cliënt of als het signaal urgent is (acuut gevaar).",
	"BW art. 7:457; AVG art. 9 lid 2 sub a en c; Convenant art. 10 lid 1",
)

# Only the police and the OM may hold back a signal with an embargo (Convenant art. 5 lid 5).
refusal_pairs contains [signal.index, embargo_not_allowed] if {
	not party_type in data.covenant.embargo.may_set_types
	some signal in batch
	is_string(object.get(signal.flags, "embargo_until", null))
}

embargo_not_allowed := lib.reason(
	"embargo-niet-bevoegd",
	sprintf("Partnertype %q kan geen embargo leggen; dat kunnen alleen politie en OM.", [party_type]),
	"Convenant art. 5 lid 5; art. 11 lid 1",
)

# Grounds: why a signal is allowed, or what the gateway noted about it.
ground_pairs contains [signal.index, classes_allowed] if {
	some signal in batch
	every data_class in signal.data_classes {
		lib.type_may_submit(party_type, data_class)
	}
}

classes_allowed := lib.reason(
	"gegevensklassen-toegestaan",
	sprintf("Partnertype %q mag deze gegevensklassen aanleveren.", [party_type]),
	"Convenant art. 5 lid 2",
)

ground_pairs contains [signal.index, care_with_consent] if {
	some signal in batch
	care_data[signal.index]
	has_consent(signal)
}

care_with_consent := lib.reason(
	"zorg-met-toestemming",
	"Zorggegevens: de cliënt heeft toestemming gegeven.",
	"AVG art. 9 lid 2 sub a; Convenant art. 10 lid 1",
)

ground_pairs contains [signal.index, care_urgent] if {
	some signal in batch
	care_data[signal.index]
	not has_consent(signal)
	urgent[signal.index]
}

care_urgent := lib.reason(
	"zorg-urgent-zonder-toestemming",
	"Zorggegevens zonder toestemming: aangeleverd omdat het signaal urgent is. Ze blijven verzegeld en gaan alleen in een verstrekking mee met toestemming van de cliënt of bij acuut gevaar dat de casusregisseur in de casus vaststelt.",
	"AVG art. 9 lid 2 sub c; Convenant art. 10 lid 1",
)

ground_pairs contains [index, lib.reason(
	"urgent-signaal",
	sprintf("Urgent signaal volgens regel(s) %s.", [concat(", ", rules)]),
	"Convenant art. 6 lid 2",
)] if {
	some index, rules in urgent
}

# Mensensmokkel is labelled, not refused: smuggled people often become victims, and the link
# must stay visible. The signal counts for no hit and is never released (Convenant art. 5 lid 4).
ground_pairs contains [signal.index, lib.reason(
	"buiten-reikwijdte-gelabeld",
	sprintf("Vorm %q valt buiten het convenant: het signaal wordt opgenomen met dat label, telt niet mee voor hits en wordt niet verstrekt.", [signal.form]),
	"Convenant art. 5 lid 4",
)] if {
	some signal in batch
	lib.form_out_of_scope(signal.form)
}

ground_pairs contains [signal.index, lib.reason(
	"embargo-vastgelegd",
	sprintf("Embargo tot en met %s vastgelegd.", [signal.flags.embargo_until]),
	"Convenant art. 11",
)] if {
	some signal in batch
	is_string(object.get(signal.flags, "embargo_until", null))
	party_type in data.covenant.embargo.may_set_types
}

# --- Helpers -----------------------------------------------------------------------------------
#
# Several rules ask whether a signal is urgent or holds care data; each is worked out once per
# signal here (a batch holds hundreds of distinct kinds, and every question costs per kind).
# A reason that is the same for every signal is built once, next to the rule that uses it.

has_consent(signal) if object.get(object.get(signal, "flags", {}), "consent", null) == true

# Both are complete values (comprehensions), worked out once: a partial rule looked up by index
# would run its whole body over the batch for every lookup.

# The urgency rules each urgent signal matches, by index (signals matching none are absent).
urgent := {signal.index: rules |
	some signal in batch
	rules := lib.urgency_rules_matching(signal.form, object.get(signal, "indicators", []), object.get(signal, "flags", {}))
	count(rules) > 0
}

# The signals that hold care data (Convenant art. 10), by index.
care_data := {signal.index |
	some signal in batch
	lib.is_care_data(party_type, signal.data_classes)
}
