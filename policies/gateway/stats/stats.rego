# METADATA
# title: Statistiek (geaggregeerde cijfers)
# description: >-
#   Welke geaggregeerde cijfers mag deze aanvrager krijgen, uitgesplitst naar welke dimensies,
#   en vanaf welk aantal wordt een cel getoond? Ook niet-ondertekenaars krijgen cijfers, maar
#   alleen naar de open dimensies. Zie README.md in deze map.
package gateway.stats

import rego.v1

import data.gateway.lib.covenant as lib

default allow := false

allow if {
	count(blockers) == 0
	count(dimensions) > 0
}

decision := {
	"allow": allow,
	"reasons": (blockers | grounds) | dimension_refusals,
	"small_cell_threshold": data.covenant.small_cell_threshold,
	"dimensions": released_dimensions,
}

# Only what is allowed is computed: an unknown or closed dimension is dropped, with a reason.
released_dimensions := dimensions if allow else := set()

requested := {dimension | some dimension in input.dimensions}

dimensions := {dimension |
	some dimension in requested
	dimension_open_to_requester(dimension)
}

# --- Who asks ----------------------------------------------------------------------------------

requester_is_known if data.covenant.parties[object.get(input, ["requester", "party"], "")]

requester_is_signatory if {
	input.requester.signatory == true
	lib.is_signatory(input.requester.party)
}

requester_has_role if {
	some role in data.covenant.access.stats.roles
	role in input.requester.roles
	lib.party_holds_role(input.requester.party, role)
}

blockers contains lib.reason(
	"verzoeker-onbekend",
	sprintf("%q is geen partij in de convenantgegevens.", [object.get(input, ["requester", "party"], "")]),
	"Convenant art. 3",
) if not requester_is_known

blockers contains lib.reason(
	"rol-niet-voor-statistiek",
	"De aanvrager heeft geen rol waarmee cijfers kunnen worden opgevraagd (of de partij mag die rol niet hebben).",
	"Convenant art. 4; art. 16",
) if {
	requester_is_known
	not requester_has_role
}

blockers contains lib.reason(
	"geen-dimensies",
	"Er zijn geen dimensies gevraagd.",
	"Convenant art. 16 lid 1",
) if count(requested) == 0

blockers contains lib.reason(
	"te-veel-dimensies",
	sprintf("%d dimensies gevraagd; per verzoek mogen er hoogstens %d worden gecombineerd, om herleidbaarheid te voorkomen.", [count(requested), data.covenant.stats.max_dimensions]),
	"AVG overweging 26; Convenant art. 16 lid 3",
) if count(requested) > data.covenant.stats.max_dimensions

# A threshold below 2 would publish single cases: the data is wrong, so fail closed.
blockers contains lib.reason(
	"drempel-kleine-aantallen-ongeldig",
	"De drempel voor kleine aantallen (small_cell_threshold) ontbreekt of is kleiner dan 2; er worden geen cijfers verstrekt.",
	"AVG overweging 26; Convenant art. 16 lid 2",
) if not small_cell_threshold_valid

small_cell_threshold_valid if {
	is_number(data.covenant.small_cell_threshold)
	data.covenant.small_cell_threshold >= 2
}

# --- Which dimensions --------------------------------------------------------------------------

dimension_open_to_requester(dimension) if {
	rule := data.covenant.stats.dimensions[dimension]
	rule.signatory_only == false
}

dimension_open_to_requester(dimension) if {
	data.covenant.stats.dimensions[dimension].signatory_only == true
	requester_is_signatory
}

dimension_refusals contains lib.reason(
	"dimensie-onbekend",
	sprintf("Dimensie %q bestaat niet of is niet toegestaan.", [dimension]),
	"Convenant art. 16 lid 1",
) if {
	some dimension in requested
	not data.covenant.stats.dimensions[dimension]
}

dimension_refusals contains lib.reason(
	"dimensie-alleen-convenantpartners",
	sprintf("Dimensie %q is alleen voor ondertekenaars van het convenant.", [dimension]),
	"Convenant art. 3 lid 2; art. 16 lid 1",
) if {
	some dimension in requested
	data.covenant.stats.dimensions[dimension].signatory_only == true
	not requester_is_signatory
}

# --- Why allowed -------------------------------------------------------------------------------

grounds contains lib.reason(
	"kleine-aantallen-onderdrukt",
	sprintf("Cellen met minder dan %d waarnemingen worden onderdrukt.", [data.covenant.small_cell_threshold]),
	"AVG overweging 26; Convenant art. 16 lid 2",
) if allow

grounds contains lib.reason(
	"alleen-geanonimiseerde-aggregaten",
	"De aanvrager heeft het convenant niet ondertekend: alleen geanonimiseerde, geaggregeerde cijfers naar de open dimensies.",
	"Convenant art. 3 lid 2",
) if {
	requester_is_known
	not requester_is_signatory
}

grounds contains lib.reason(
	"convenantpartner",
	"De aanvrager is ondertekenaar: alle toegestane dimensies zijn beschikbaar.",
	"Convenant art. 16 lid 1",
) if requester_is_signatory
