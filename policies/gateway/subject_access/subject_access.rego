# METADATA
# title: Inzageverzoek van een betrokkene (subject access)
# description: >-
#   Mag deze aanvrager een inzageverzoek (AVG art. 15) in de gateway uitvoeren, en wat mag de
#   betrokkene te weten komen? Alleen een privacy officer van een ondertekenaar voert het uit,
#   nadat hij de identiteit van de betrokkene heeft vastgesteld. Zie README.md in deze map.
package gateway.subject_access

import rego.v1

import data.gateway.lib.covenant as lib

default allow := false

allow if count(blockers) == 0

decision := {
	"allow": allow,
	"reasons": blockers | grounds,
	"scope": scope,
	"excluded": excluded,
}

# What the data subject may learn, and what stays out of the answer.
scope := {item | some item in data.covenant.subject_access.scope} if allow else := set()

excluded := {item | some item in data.covenant.subject_access.excluded} if allow else := set()

# --- Who asks ----------------------------------------------------------------------------------

requester_is_privacy_officer if {
	data.covenant.access.subject_access.role in input.requester.roles
	lib.party_holds_role(input.requester.party, data.covenant.access.subject_access.role)
}

blockers contains lib.reason(
	"verzoeker-geen-privacy-officer",
	"Alleen een privacy officer voert een inzageverzoek uit (hij stelt eerst de identiteit van de betrokkene vast).",
	"AVG art. 12 lid 6; Convenant art. 17 lid 1",
) if not requester_is_privacy_officer

blockers contains lib.reason(
	"partij-geen-ondertekenaar",
	sprintf("%q heeft het convenant niet ondertekend en kan geen inzageverzoek in de gateway uitvoeren.", [object.get(input, ["requester", "party"], "")]),
	"AVG art. 26; Convenant art. 3 lid 1; art. 17 lid 1",
) if not lib.is_signatory(object.get(input, ["requester", "party"], ""))

# --- About whom --------------------------------------------------------------------------------

# A person is looked up as a person (BSN or name + birth date), never by address, phone or
# account: those also lead to other people (housemates, a shelter address).
blockers contains lib.reason(
	"kenmerk-niet-voor-inzage",
	sprintf("Inzage gaat over een persoon; zoeken op %q kan gegevens van anderen tonen. Gebruik BSN of naam en geboortedatum.", [subject_kind]),
	"AVG art. 15 lid 4; Convenant art. 17 lid 1",
) if not subject_kind in data.covenant.subject_access.lookup_kinds

subject_kind := object.get(object.get(input, "subject", {}), "kind", "")

# --- What the answer holds ---------------------------------------------------------------------

grounds contains lib.reason(
	"inzage-toegestaan",
	"De betrokkene mag weten welke signalen over hem zijn aangeleverd (vorm, datum, gegevensklassen, type partner) en aan wie wat is verstrekt, voor welk doel en hoe lang het wordt bewaard.",
	"AVG art. 15 lid 1; Convenant art. 17 lid 1",
) if allow

grounds contains lib.reason(
	"inzage-zonder-melder",
	"Wie heeft gemeld (persoon, afdeling, verwijzer) wordt nooit bekendgemaakt; bij bronbescherming ook niet welke partner aanleverde.",
	"AVG art. 15 lid 4; UAVG art. 41 lid 1 sub i; Convenant art. 13; art. 17 lid 2",
) if allow

grounds contains lib.reason(
	"inzage-beperkingen",
	"Signalen onder embargo blijven buiten het antwoord tot het embargo is verlopen; de inhoud van politiegegevens loopt via het inzagerecht bij de politie (Wpg); CIE-informatie komt in de gateway niet voor.",
	"UAVG art. 41 lid 1 sub d; Wpg art. 25; Convenant art. 17 lid 3",
) if allow
