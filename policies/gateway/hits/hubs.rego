# METADATA
# title: Hubs - register en beoordeling
# description: >-
#   Wie houdt het register bij van pseudoniemen die nooit koppelen (opvang, briefadres, hotel,
#   uitzendbureau), en wie bevestigt of verwerpt een kandidaat-hub die de structuurregel noemde?
#   Zelfde beslispunt als de hits (gateway.hits), andere acties. Zie README.md in deze map.
package gateway.hits

import rego.v1

import data.gateway.lib.covenant as lib

hub_actions := {"register", "withdraw", "list_register", "review", "list_candidates"}

hub_action if input.action in hub_actions

registry := object.get(data.covenant.linkage, "registry", {"roles": [], "reasons": {}, "max_days": 0})

review := object.get(data.covenant.linkage, "review", {"roles": [], "reasons": {}})

entry := object.get(input, "entry", {})

requester_party := object.get(input, ["requester", "party"], "")

holds_one_of(roles) if {
	some role in roles
	role in object.get(input.requester, "roles", [])
	lib.party_holds_role(requester_party, role)
	lib.is_signatory(requester_party)
}

# The register: privacy officers (covenant data linkage.registry.roles).
keeps_registry if holds_one_of(registry.roles)

# A candidate: the RIEC's analyst or a privacy officer (linkage.review.roles).
reviews_hubs if holds_one_of(review.roles)

# Which may act: register steps need the registry's roles; a review (and withdrawing one)
# needs the review's roles.
register_step if input.action in {"register", "list_register"}

register_step if {
	input.action == "withdraw"
	object.get(entry, "mark", "") == "register"
}

review_step if input.action in {"review", "list_candidates"}

review_step if {
	input.action == "withdraw"
	object.get(entry, "mark", "") != "register"
}

requester_blockers contains lib.reason(
	"verzoeker-houdt-register-niet-bij",
	"Alleen een privacy officer van een ondertekenaar houdt het register van niet-koppelende kenmerken bij.",
	"Convenant art. 6 lid 4",
) if {
	register_step
	not keeps_registry
}

requester_blockers contains lib.reason(
	"verzoeker-beoordeelt-geen-hubs",
	"Alleen een analist van het RIEC of een privacy officer bevestigt of verwerpt een kandidaat-hub.",
	"Convenant art. 6 lid 4",
) if {
	review_step
	not reviews_hubs
}

requester_blockers contains lib.reason(
	"reden-onbekend",
	"De reden is geen code uit het convenant (linkage.registry.reasons).",
	"Convenant art. 6 lid 4",
) if {
	input.action == "register"
	not registry.reasons[object.get(entry, "reason", "")]
}

requester_blockers contains lib.reason(
	"soort-koppelt-niet",
	"Dit soort kenmerk koppelt niet (linkage.link_kinds); registreren heeft geen zin.",
	"Convenant art. 6 lid 4",
) if {
	input.action == "register"
	not object.get(entry, "kind", "") in data.covenant.linkage.link_kinds
}

requester_blockers contains lib.reason(
	"einddatum-ongeldig",
	sprintf("De einddatum ligt in het verleden of verder weg dan %d dagen (linkage.registry.max_days).", [registry.max_days]),
	"AVG art. 5 lid 1 sub e; Convenant art. 6 lid 4",
) if {
	input.action == "register"
	not valid_term
}

valid_term if {
	days := object.get(entry, "days", -1)
	is_number(days)
	days >= 0
	days <= registry.max_days
}

requester_blockers contains lib.reason(
	"reden-onbekend",
	"De reden is geen code uit het convenant (linkage.review.reasons).",
	"Convenant art. 6 lid 4",
) if {
	input.action == "review"
	not review.reasons[object.get(entry, "reason", "")]
}

requester_blockers contains lib.reason(
	"oordeel-onbekend",
	"Een kandidaat-hub wordt bevestigd of verworpen.",
	"Convenant art. 6 lid 4",
) if {
	input.action == "review"
	not object.get(entry, "verdict", "") in {"bevestigd", "verworpen"}
}

requester_grounds contains lib.reason(
	"register-bijhouden",
	"Een privacy officer houdt het register bij; ingevoerd wordt alleen een pseudoniem, nooit het adres of nummer zelf.",
	"Convenant art. 6 lid 4",
) if {
	register_step
	keeps_registry
}

requester_grounds contains lib.reason(
	"hub-beoordelen",
	"Een analist van het RIEC of een privacy officer beoordeelt een kandidaat-hub op aantallen, nooit op een waarde.",
	"Convenant art. 6 lid 4",
) if {
	review_step
	reviews_hubs
}
