# METADATA
# title: Embargo als onderdeel van het onderzoek (embargo)
# description: >-
#   Mag deze aanvrager een embargo op betrokkenen, signalen of een hele casus leggen, verlengen,
#   opheffen of de lopende embargo's zien; wie ontvangt de signalen die het vasthoudt; en wat ziet
#   een lezer van hits en netwerken van een embargo (marker)? Politie en OM, zoals de
#   convenantgegevens zeggen (embargo.investigation). Zie README.md in deze map.
package gateway.embargo

import rego.v1

import data.gateway.lib.covenant as lib

rules := data.covenant.embargo.investigation

default allow := false

allow if count(blockers) == 0

decision := {
	"allow": allow,
	"reasons": blockers | grounds,
	"allowed_types": allowed_types,
	"details": details_visible,
	"marker_text": rules.marker_text,
}

action := object.get(input, "action", "")

embargo := object.get(input, "embargo", {})

today := lib.local_date(input.now)

# The recipient types that still receive what an embargo holds (politie and OM): named in the
# decision, so that the gateway stores what the policy said, not a list of its own.
allowed_types := sort([t | some t in rules.allowed_recipient_types]) if {
	action == "place"
	allow
} else := []

# --- What is asked ----------------------------------------------------------------------------

actions := {"place", "extend", "lift", "list", "mark"}

target_kinds := {"subject", "signal", "case"}

blockers contains lib.reason(
	"embargo-actie-onbekend",
	sprintf("Actie %q bestaat niet voor een embargo (place, extend, lift, list, mark).", [action]),
	"Convenant art. 11 lid 3",
) if not action in actions

# --- Who asks ----------------------------------------------------------------------------------

requester := object.get(input, "requester", {})

requester_party := object.get(requester, "party", "")

# The covenant data decide the requester's type; the input must agree with them.
requester_type := data.covenant.parties[requester_party].type if {
	data.covenant.parties[requester_party].type == object.get(requester, "type", "")
} else := ""

# A proven role the covenant grants the party, among the roles that may act on embargoes.
requester_has_role if {
	some role in rules.roles
	role in object.get(requester, "roles", [])
	lib.party_holds_role(requester_party, role)
}

may_act if {
	requester_type in rules.placed_by_types
	lib.is_signatory(requester_party)
	requester_has_role
}

# Marking a hit is no act on an embargo: every reader gets a marker, the policy says which.
blockers contains lib.reason(
	"embargo-niet-bevoegd",
	"Alleen politie en OM (convenantgegevens embargo.investigation.placed_by_types), als ondertekenaar en met een rol die het convenant hun geeft, leggen, verlengen en heffen een embargo op of zien de lopende embargo's.",
	"Convenant art. 5 lid 5; art. 11 lid 3",
) if {
	action in actions - {"mark"}
	not may_act
}

# --- Placing -----------------------------------------------------------------------------------

target_kind := object.get(embargo, "target_kind", "")

reason_code := object.get(embargo, "reason", "")

until := object.get(embargo, "until", "")

blockers contains lib.reason(
	"embargo-doel-onbekend",
	sprintf("Een embargo ligt op een betrokkene (subject), een signaal (signal) of een casus (case), niet op %q.", [target_kind]),
	"Convenant art. 11 lid 3",
) if {
	action == "place"
	not target_kind in target_kinds
}

blockers contains lib.reason(
	"embargo-reden-onbekend",
	sprintf("De reden is geen code uit de convenantgegevens (embargo.investigation.reasons); bekend zijn: %s.", [concat(", ", sort(object.keys(data.covenant.embargo.investigation.reasons)))]),
	"Convenant art. 11 lid 3",
) if {
	action == "place"
	not rules.reasons[reason_code]
}

# --- The end date (place and extend) -------------------------------------------------------------

dated_actions := {"place", "extend"}

valid_date(value) if {
	is_string(value)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, value)
	time.parse_ns("2006-01-02", value)
}

day_ns := ((24 * 60) * 60) * 1000000000

# Days from today to the end date (Dutch local dates).
days_ahead := round((time.parse_ns("2006-01-02", until) - time.parse_ns("2006-01-02", today)) / day_ns) if {
	valid_date(until)
}

blockers contains lib.reason(
	"embargo-einddatum-ongeldig",
	"De einddatum moet een datum zijn (JJJJ-MM-DD).",
	"Convenant art. 11 lid 3",
) if {
	action in dated_actions
	not valid_date(until)
}

blockers contains lib.reason(
	"embargo-einddatum-verleden",
	"De einddatum ligt in het verleden; een embargo loopt tot en met zijn einddatum.",
	"Convenant art. 11 lid 2",
) if {
	action in dated_actions
	days_ahead < 0
}

blockers contains lib.reason(
	"embargo-te-lang",
	sprintf("Een embargo loopt ten hoogste %d dagen vanaf vandaag; verleng het zo nodig later.", [rules.max_days]),
	"AVG art. 5 lid 1 sub c; Convenant art. 11 lid 3",
) if {
	action in dated_actions
	days_ahead > rules.max_days
}

# --- Changing an embargo (extend, lift) ----------------------------------------------------------

changing_actions := {"extend", "lift"}

placed_by := object.get(embargo, "placed_by", "")

# The party that placed it changes it; the types in change_any_types (the OM, which leads the
# investigation) change anyone's.
may_change if placed_by == requester_party

may_change if requester_type in rules.change_any_types

blockers contains lib.reason(
	"embargo-van-ander",
	"Dit embargo is door een andere partij gelegd; alleen die partij of het OM (embargo.investigation.change_any_types) verlengt of heft het op.",
	"Convenant art. 11 lid 3",
) if {
	action in changing_actions
	may_act
	not may_change
}

blockers contains lib.reason(
	"embargo-niet-lopend",
	"Dit embargo is opgeheven of verlopen; leg zo nodig een nieuw embargo.",
	"Convenant art. 11 lid 2",
) if {
	action in changing_actions
	not in_force
}

in_force if {
	object.get(embargo, "lifted", false) == false
	current := object.get(embargo, "current_until", "")
	is_string(current)
	today <= substring(current, 0, 10)
}

blockers contains lib.reason(
	"embargo-verlenging-niet-later",
	"Een verlenging heeft een latere einddatum dan de huidige.",
	"Convenant art. 11 lid 3",
) if {
	action == "extend"
	valid_date(until)
	until <= substring(object.get(embargo, "current_until", ""), 0, 10)
}

# --- The marker on hits and networks --------------------------------------------------------------

# Politie and OM may know whose investigation it is (end date, reason); everyone else sees only
# that there is an embargo and whom to call.
default details_visible := false

details_visible if {
	action == "mark"
	requester_type in rules.details_visible_to_types
	lib.is_signatory(requester_party)
}

# --- Why it is allowed ---------------------------------------------------------------------------

grounds contains lib.reason(
	"embargo-geplaatst",
	sprintf("Embargo tot en met %s (%s): signalen erover gaan alleen naar %s.", [until, reason_code, concat(", ", allowed_types)]),
	"Convenant art. 11 lid 2 en 3",
) if {
	action == "place"
	allow
}

grounds contains lib.reason(
	"embargo-verlengd",
	sprintf("Embargo verlengd tot en met %s.", [until]),
	"Convenant art. 11 lid 3",
) if {
	action == "extend"
	allow
}

grounds contains lib.reason(
	"embargo-opgeheven",
	"Embargo opgeheven: een nieuwe verstrekking volgt de gewone regels.",
	"Convenant art. 11 lid 3",
) if {
	action == "lift"
	allow
}

grounds contains lib.reason(
	"embargo-inzage",
	"Politie en OM zien de lopende embargo's.",
	"Convenant art. 11 lid 3",
) if {
	action == "list"
	allow
}

grounds contains lib.reason(
	"embargo-marker-details",
	"Politie en OM zien einddatum en reden van een embargo.",
	"Convenant art. 11 lid 4",
) if details_visible

grounds contains lib.reason(
	"embargo-marker",
	"Anderen zien alleen dat er een embargo is en nemen contact op met het OM.",
	"Convenant art. 11 lid 4",
) if {
	action == "mark"
	not details_visible
}
