# METADATA
# title: Hits
# description: >-
#   Is een cluster gekoppelde signalen een hit, en mag deze aanvrager hits zien? Een hit is de
#   uitkomst van twee openbare regels (genoeg verschillende partners binnen een venster, of één
#   urgent signaal), nooit van een risicoscore. Zie README.md in deze map.
package gateway.hits

import rego.v1

import data.gateway.lib.covenant as lib

default allow := false

# Two questions, told apart by input.action:
# - "evaluate": the gateway itself judges the clusters an ingest batch changed. Nobody sees
#   the result here; it is stored and shown only through "view". No requester is involved.
# - "view" (also when action is missing, the stricter reading): may this requester see hits?
evaluating if input.action == "evaluate"

allow if evaluating

allow if {
	not evaluating
	count(requester_blockers) == 0
}

decision := {
	"allow": allow,
	"reasons": reasons,
	"hits": hits,
}

reasons := {evaluation_ground} if evaluating else := requester_blockers | requester_grounds

evaluation_ground := lib.reason(
	"evaluatie-door-gateway",
	"De gateway toetst gewijzigde clusters aan de hitregels; de uitkomst is alleen via het RIEC-overzicht te zien.",
	"Convenant art. 6",
)

# A requester who may not see hits gets no cluster at all, not even "no hit".
hits := {cluster.id: cluster_result(cluster) | some cluster in input.clusters} if allow else := {}

# --- Who may see hits --------------------------------------------------------------------------

requester_is_riec_analyst if {
	input.requester.type in data.covenant.access.hits.party_types
	data.covenant.parties[input.requester.party].type == input.requester.type
	some role in data.covenant.access.hits.roles
	role in input.requester.roles
	lib.party_holds_role(input.requester.party, role)
}

# The steps on hubs (register, review: hubs.rego) have requester rules of their own.
requester_blockers contains lib.reason(
	"verzoeker-geen-riec-analist",
	"Alleen analisten en casusregisseurs van het RIEC zien hits.",
	"Convenant art. 4 lid 3",
) if {
	not hub_action
	not requester_is_riec_analyst
}

requester_grounds contains lib.reason(
	"verzoeker-riec-analist",
	"De aanvrager is analist of casusregisseur van het RIEC; hits worden alleen gepseudonimiseerd getoond.",
	"Convenant art. 4 lid 3",
) if {
	not hub_action
	requester_is_riec_analyst
}

# --- Is a cluster a hit ------------------------------------------------------------------------

min_parties := data.covenant.thresholds.hits.min_parties

window_days := data.covenant.thresholds.hits.window_days

# A signal counts when its form is within the covenant (not human smuggling).
counts(signal) if not lib.form_out_of_scope(signal.form)

observed_ns(signal) := moment_ns(signal.observed_at)

# Parsed once per distinct moment in the whole input (OPA keeps a function's result per
# argument within one evaluation), not once per signal: the input is cut to the day.
moment_ns(at) := time.parse_rfc3339_ns(at)

# The most partners whose signals lie within one window of each other: each counted signal in
# turn opens a window of window_days, and the partners with a signal inside it are counted. The
# window is between the signals, not back from today, so a hit does not lapse by the clock alone;
# old signals leave through the retention period instead (Convenant art. 15).
most_parties_in_window(counted) := 0 if {
	count(counted) == 0
} else := most_parties_among({[observed_ns(signal), signal.party] | some signal in counted})

window_ns := window_days * lib.day_ns

# seen: the distinct [moment, partner] pairs, each moment parsed once.
# Fast: when the window that opens at the first moment, or the one that closes at the last,
# holds every partner, no window holds more (a window may as well open at the first signal
# inside it, so both are windows between signals).
most_parties_among(seen) := count(parties) if {
	parties := {party | some [_, party] in seen}
	moments := {at | some [at, _] in seen}
	some start in {min(moments), max(moments) - window_ns}
	count({party | some [at, party] in seen; at >= start; at - start <= window_ns}) == count(parties)
} else := max([count(parties) |
	# Otherwise each distinct moment opens a window; per partner, one moment inside it suffices.
	moments_by_party := {party: moments |
		some party in {party | some [_, party] in seen}
		moments := {at | some [at, other] in seen; other == party}
	}
	some start in {at | some [at, _] in seen}
	parties := {party | some party, moments in moments_by_party; in_window(moments, start)}
])

# Some moment lies in the window that opens at start (stops at the first).
in_window(moments, start) if {
	some at in moments
	at >= start
	at - start <= window_ns
}

# The urgency rules that match any of these signals; the hits input carries the minor flag on
# the signal. Asked once per distinct form, indicators and flag, not once per signal.
urgency_rules_among(signals) := {id |
	some [form, indicators, minor] in {[signal.form, object.get(signal, "indicators", []), object.get(signal, "minor", false)] |
		some signal in signals
	}
	some id in lib.urgency_rules_matching(form, indicators, {"minor": minor})
}

# One of the two grounds suffices for a hit.
either(a, b) := true if {
	a == true
} else := true if {
	b == true
} else := false

# A signal in the input may stand for several alike signals of the cluster: "count" (default 1).
weight(signal) := object.get(signal, "count", 1)

# Partners are counted as every decision point counts them (lib.independent_source): the RIEC's
# own analysis signal is no independent partner here either (Convenant art. 8 lid 2), though it
# may still make the cluster urgent.
cluster_result(cluster) := {"hit": hit, "urgent": urgent, "reasons": reasons} if {
	counted := [signal | some signal in cluster.signals; counts(signal)]
	independent := [signal | some signal in counted; lib.independent_source(signal)]
	parties := most_parties_in_window(independent)
	urgent_rules := urgency_rules_among(counted)
	urgent := count(urgent_rules) > 0
	enough_parties := parties >= min_parties
	hit := either(enough_parties, urgent)
	reasons := cluster_reasons(cluster, counted, independent, parties, urgent_rules, enough_parties)
}

cluster_reasons(cluster, counted, independent, parties, urgent_rules, enough_parties) := {r |
	some r in {
		party_reason(parties, enough_parties),
		urgency_reason(urgent_rules),
		not_counted_reason(cluster, counted),
		not_independent_reason(counted, independent),
	}
	r != null
}

party_reason(parties, true) := lib.reason(
	"hit-meerdere-partijen",
	sprintf("Signalen van %d verschillende onafhankelijke partners binnen %d dagen van elkaar (drempel: %d).", [parties, window_days, min_parties]),
	"Convenant art. 6 lid 1",
)

party_reason(parties, false) := lib.reason(
	"te-weinig-partijen",
	sprintf("Signalen van hoogstens %d onafhankelijke partner(s) binnen %d dagen van elkaar; voor een hit zijn er %d nodig.", [parties, window_days, min_parties]),
	"Convenant art. 6 lid 1",
)

urgency_reason(rules) := lib.reason(
	"hit-urgent",
	sprintf("Urgent signaal in het cluster (regel %s): altijd een hit.", [concat(", ", rules)]),
	"Convenant art. 6 lid 2",
) if count(rules) > 0 else := null

not_counted_reason(cluster, counted) := lib.reason(
	"signalen-niet-meegeteld",
	sprintf("%d signaal/signalen telden niet mee: buiten de reikwijdte van het convenant (mensensmokkel).", [total_weight(cluster.signals) - total_weight(counted)]),
	"Convenant art. 5 lid 4; art. 6 lid 1",
) if count(cluster.signals) > count(counted) else := null

not_independent_reason(counted, independent) := lib.reason(
	"signalen-niet-onafhankelijk",
	sprintf("%d signaal/signalen telden niet mee als onafhankelijke partner: van een partner van type %s (zijn analyses zijn afgeleid van gegevens van anderen).", [total_weight(counted) - total_weight(independent), concat(" of ", data.covenant.thresholds.proportionality.not_independent_types)]),
	"Convenant art. 6 lid 1; art. 8 lid 2",
) if count(counted) > count(independent) else := null

total_weight(signals) := sum([weight(signal) | some signal in signals])
