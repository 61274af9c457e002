# METADATA
# title: Verstrekking in een casus (release)
# description: >-
#   Mag deze casus aan deze deelnemers worden verstrekt, en welke velden van welke signalen aan
#   wie? Drie lagen, in deze volgorde: de casus (aanvrager, fase, doel, vier ogen,
#   proportionaliteit), de ontvanger (ondertekenaar, doel van zijn type) en het signaal per
#   ontvanger (CIE, grondslag per gegevensklasse, zorg, embargo, minderjarigen, bronbescherming,
#   need-to-know). Wat niet uitdrukkelijk mag, wordt achtergehouden, met redenen.
#   Zie README.md in deze map.
package gateway.release

import rego.v1

import data.gateway.lib.covenant as lib

# =============================================================================================
# The decision
# =============================================================================================

# Deny by default: allowed only when the case may be released and at least one participant
# receives at least one signal.
default allow := false

allow if {
	count(case_blockers) == 0
	some release in releases
	count(release.signals) > 0
}

decision := {
	"allow": allow,
	"reasons": (case_blockers | case_grounds) | nothing_released,
	"releases": releases,
	"fields_withheld": fields_withheld,
}

# Per participant: the signals it receives with their fields, the signals withheld from it with
# the reasons, the grounds on which it receives what it receives, and the fields its type does
# not need.
releases[participant.party] := release_for(participant) if some participant in input.participants

# A blocked case releases nothing to anyone; a blocked recipient receives nothing; otherwise each
# signal is judged for this recipient's type.
release_for(participant) := withhold_everything(case_blockers) if {
	count(case_blockers) > 0
} else := withhold_everything(participant_blockers[participant.party]) if {
	count(participant_blockers[participant.party]) > 0
} else := releases_by_type[recipient_type(participant)]

withhold_everything(reasons) := {
	"signals": {},
	"withheld": [{"signal": signal.id, "reasons": reasons} | some signal in input.signals],
	"reasons": set(),
	"withheld_fields": set(),
}

nothing_released contains lib.reason(
	"niets-verstrekt",
	"De casus mag worden verstrekt, maar geen enkel signaal mag naar een deelnemer; zie de redenen per deelnemer.",
	"Convenant art. 7 lid 2",
) if {
	count(case_blockers) == 0
	not allow
}

# =============================================================================================
# Layer 1: the case
# =============================================================================================

# --- Who asks ---------------------------------------------------------------------------------

requester_is_case_director if {
	input.requester.type in data.covenant.access.release.party_types
	data.covenant.parties[input.requester.party].type == input.requester.type
	data.covenant.access.release.role in input.requester.roles
	lib.party_holds_role(input.requester.party, data.covenant.access.release.role)
}

case_blockers contains lib.reason(
	"verzoeker-geen-casusregisseur",
	"Alleen de casusregisseur van het RIEC kan een verstrekking aanvragen.",
	"Convenant art. 14 lid 2",
) if not requester_is_case_director

# --- Stage: "welke partner in welk stadium welke informatie" ------------------------------------

case_stage := object.get(input, ["case", "stage"], "")

case_purpose_id := object.get(input, ["case", "purpose"], "")

stage_level := data.covenant.release.stages[case_stage]

case_blockers contains lib.reason(
	"fase-onbekend",
	sprintf("Fase %q is geen fase van het ketenproces.", [case_stage]),
	"Convenant art. 7",
) if not data.covenant.release.stages[case_stage]

case_blockers contains lib.reason(
	"alleen-metadata-voor-casusoverleg",
	sprintf("De casus is in fase %q. Vóór het casusoverleg worden alleen metadata gedeeld (vormen, indicatoren, partnertypen, aantallen), geen persoonsgegevens.", [case_stage]),
	"Convenant art. 7 lid 1",
) if stage_level == "metadata"

# Any other level than "metadata" or "details" (such as "geen" after closure) releases nothing.
case_blockers contains lib.reason(
	"fase-geen-verstrekking",
	sprintf("In fase %q worden geen gegevens verstrekt.", [case_stage]),
	"Convenant art. 7 lid 3",
) if {
	data.covenant.release.stages[case_stage]
	not stage_level in {"metadata", "details"}
}

case_grounds contains lib.reason(
	"fase-details-toegestaan",
	sprintf("De casus is in fase %q: details mogen per ontvanger worden verstrekt (need-to-know).", [case_stage]),
	"Convenant art. 7 lid 2",
) if stage_level == "details"

# --- Purpose binding ---------------------------------------------------------------------------

case_purpose := data.covenant.purposes[case_purpose_id]

case_blockers contains lib.reason(
	"doel-onbekend",
	sprintf("Doel %q is geen doel van het convenant.", [case_purpose_id]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8",
) if not data.covenant.purposes[case_purpose_id]

case_grounds contains lib.reason(
	"doelbinding",
	sprintf("Doel van de casus: %s.", [case_purpose.name]),
	case_purpose.basis,
) if case_purpose

# --- Four eyes ---------------------------------------------------------------------------------

# An approval counts only when its party signed and the covenant grants that party the role.
valid_approvals := {[approval.role, approval.sub] |
	some approval in object.get(input.case, "approvals", [])
	lib.is_signatory(approval.party)
	lib.party_holds_role(approval.party, approval.role)
}

approved_roles := {role | some [role, _] in valid_approvals}

required_approvals := {role | some role in data.covenant.release.required_approvals}

case_blockers contains lib.reason(
	"goedkeuring-ontbreekt",
	sprintf("Goedkeuring door een %s (van een ondertekenaar die die rol heeft) ontbreekt.", [role]),
	"AVG art. 24; Convenant art. 14 lid 1",
) if {
	some role in required_approvals
	not role in approved_roles
}

# With no required approvals configured, the data is wrong: fail closed rather than release.
case_blockers contains lib.reason(
	"goedkeuringen-niet-ingesteld",
	"In de convenantgegevens staan geen verplichte goedkeuringen (release.required_approvals); zonder goedkeuring wordt niets verstrekt.",
	"Convenant art. 14 lid 1",
) if count(required_approvals) == 0

case_blockers contains lib.reason(
	"vier-ogen-zelfde-persoon",
	"Elke verplichte goedkeuring moet van een andere persoon komen (vier ogen); dezelfde persoon kan niet voor twee rollen tekenen.",
	"AVG art. 24 en 32; Convenant art. 14 lid 1",
) if {
	data.covenant.release.approvals_by_different_persons == true
	count(required_approvals - approved_roles) == 0
	not different_persons_can_approve
}

# Each required role needs its own person: by Hall's theorem that is possible exactly when every
# group of k required roles has been approved by at least k different people.
different_persons_can_approve if not some_roles_share_too_few_approvers

some_roles_share_too_few_approvers if {
	roles := sort(required_approvals)
	n := count(roles)
	n > 0
	some mask in numbers.range(1, bits.lsh(1, n) - 1)
	group := {roles[i] | some i in numbers.range(0, n - 1); bits.and(mask, bits.lsh(1, i)) != 0}
	approvers := {sub | some [role, sub] in valid_approvals; role in group}
	count(approvers) < count(group)
}

case_grounds contains lib.reason(
	"vier-ogen-akkoord",
	sprintf("Goedgekeurd door %s, door verschillende personen.", [concat(" en ", sort(required_approvals))]),
	"Convenant art. 14 lid 1",
) if {
	count(required_approvals) > 0
	count(required_approvals - approved_roles) == 0
	different_persons_can_approve
}

# --- Proportionality ---------------------------------------------------------------------------

proportionality := data.covenant.thresholds.proportionality

# Independent sources: distinct partners, not the RIEC (its analyses derive from others' data),
# and only signals that could be released at all.
independent_parties := {party | some [_, party, key, _] in signed; facts_by_signature[key].independent}

case_is_urgent if case_has_acute_danger

case_is_urgent if {
	some facts in facts_by_signature
	facts.urgent
}

case_blockers contains lib.reason(
	"proportionaliteit-te-weinig-partners",
	sprintf("Signalen van %d onafhankelijke partner(s); voor verstrekking zijn er %d nodig, tenzij de casus urgent is of er acuut gevaar is.", [count(independent_parties), proportionality.min_independent_parties]),
	"AVG art. 5 lid 1 sub c; Convenant art. 8 lid 1",
) if {
	count(independent_parties) < proportionality.min_independent_parties
	not case_is_urgent
}

case_grounds contains lib.reason(
	"proportioneel",
	sprintf("Signalen van %d onafhankelijke partners.", [count(independent_parties)]),
	"Convenant art. 8 lid 1",
) if count(independent_parties) >= proportionality.min_independent_parties

case_grounds contains lib.reason(
	"urgent-uitzondering-proportionaliteit",
	"Minder onafhankelijke partners dan de drempel, maar de casus is urgent of er is acuut gevaar.",
	"Convenant art. 8 lid 1",
) if {
	count(independent_parties) < proportionality.min_independent_parties
	case_is_urgent
}

case_has_acute_danger if input.case.acute_danger == true

# =============================================================================================
# Layer 2: the recipient
# =============================================================================================

# The covenant data decides a participant's type, not the input: a mislabelled participant can
# never receive what its real type may not.
recipient_type(participant) := data.covenant.parties[participant.party].type if {
	data.covenant.parties[participant.party]
} else := participant.type

participant_blockers := {participant.party: participant_refusals(participant) | some participant in input.participants}

participant_refusals(participant) := ({lib.reason(
	"ontvanger-geen-convenantpartner",
	sprintf("%q heeft het convenant niet ondertekend en ontvangt alleen geanonimiseerde cijfers.", [participant.party]),
	"Convenant art. 3 lid 2",
) |
	not recipient_is_signatory(participant)
} | {lib.reason(
	"ontvanger-type-onbekend",
	sprintf("Partnertype %q staat niet in het convenant (party_types).", [recipient_type(participant)]),
	"Convenant art. 9",
) |
	not data.covenant.party_types[recipient_type(participant)]
}) | {lib.reason(
	"doel-niet-voor-ontvanger",
	sprintf("Het doel %q is geen doel van partnertype %q.", [case_purpose_id, recipient_type(participant)]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8",
) |
	data.covenant.party_types[recipient_type(participant)]
	not lib.type_has_purpose(recipient_type(participant), case_purpose_id)
}

recipient_is_signatory(participant) if {
	participant.signatory == true
	lib.is_signatory(participant.party)
}

# =============================================================================================
# Layer 3: each signal, per recipient type
# =============================================================================================
#
# The work is split so that a case of 50 signals stays cheap. Signals that agree on everything
# these rules look at (form, source type, classes, flags, offered fields) share one signature and
# are judged once: first what holds whoever receives them (facts_by_signature), then per recipient
# type (outcomes_by_type). Per recipient and signal only a lookup remains.

signed := [[signal.id, object.get(signal, "party", ""), sprintf("%v", [part]), part] |
	some signal in input.signals
	part := signature_part(signal)
]

# Every key has a default, so that no signal can drop out of the decision unexplained; an
# incomplete signal is withheld (signaal-onvolledig).
signature_part(signal) := {
	"form": object.get(signal, "form", ""),
	"party_type": object.get(signal, "party_type", ""),
	"data_classes": object.get(signal, "data_classes", []),
	"indicators": object.get(signal, "indicators", []),
	"flags": object.get(signal, "flags", {}),
	"fields": object.get(signal, "fields", []),
}

signature_of := {id: key | some [id, _, key, _] in signed}

# One representative per signature: signals with the same signature have equal parts.
signature_parts := {key: part | some [_, _, key, part] in signed}

facts_by_signature := {key: facts_of(part) | some key, part in signature_parts}

facts_of(signal) := {
	"care": care,
	"minor": minor,
	"embargo": embargo,
	"classes": classes,
	"source_type": signal.party_type,
	"profile": sprintf("%v|%v|%v|%v|%v", [classes, care, minor, embargo, signal.party_type]),
	"blockers": blockers,
	"open": count(blockers) == 0,
	"releasable": verdict.releasable,
	"withheld_fields": verdict.withheld,
	"independent": independent_source(signal, classes),
	"urgent": urgency_flag(signal),
} if {
	classes := {data_class | some data_class in signal.data_classes}
	care := care_flag(signal.party_type, classes)
	minor := object.get(signal.flags, "minor", false) == true
	embargo := embargo_flag(signal)
	consent := object.get(signal.flags, "consent", null) == true
	verdict := field_verdict(signal, classes)
	blockers := signal_refusals(signal, classes, care, minor, consent) | no_fields_left(verdict.releasable)
}

# Recipient checks depend only on a signal's profile (its classes, whether it is care data, about
# a minor or under embargo, and the type of partner it came from), so signatures that share a
# profile are judged once per recipient type.
profiles := {facts.profile: {
	"classes": facts.classes,
	"care": facts.care,
	"minor": facts.minor,
	"embargo": facts.embargo,
	"source_type": facts.source_type,
} |
	some facts in facts_by_signature
}

case_types := {recipient_type(participant) | some participant in input.participants}

profile_blockers := {party_type: {key: recipient_refusals(party_type, profile) | some key, profile in profiles} |
	some party_type in case_types
}

# Per recipient type and signature: released with these fields, or withheld for these reasons.
outcomes_by_type := {party_type: {key: outcome(party_type, facts) | some key, facts in facts_by_signature} |
	some party_type in case_types
}

outcome(party_type, facts) := {
	"open": true,
	"release": {"fields": fields},
	"profile": facts.profile,
	"not_needed": facts.releasable - fields,
} if {
	facts.open
	count(profile_blockers[party_type][facts.profile]) == 0
	fields := fields_for_type(party_type, facts.releasable)
	count(fields) > 0
} else := {"open": false, "blockers": (facts.blockers | profile_blockers[party_type][facts.profile]) | need_to_know_left_nothing(party_type, facts)}

releases_by_type := {party_type: release_to_type(party_type) | some party_type in case_types}

release_to_type(party_type) := {
	"signals": {id: outcomes[key].release | some id, key in signature_of; open_keys[key]},
	"withheld": [{"signal": id, "reasons": outcomes[key].blockers} | some id, key in signature_of; closed_keys[key]],
	"reasons": release_grounds(party_type, {outcomes[key].profile | some key in open_keys}),
	"withheld_fields": need_to_know_withholdings(party_type, {outcomes[key] | some key in open_keys}),
} if {
	outcomes := outcomes_by_type[party_type]
	open_keys := {key | some key, outcome in outcomes; outcome.open}
	closed_keys := {key | some key, outcome in outcomes; not outcome.open}
}

# Fields withheld from every recipient (source protection, BSN, fields outside the signal's
# classes), reported once per signal rather than once per recipient.
fields_withheld := {id: withheld |
	some id, key in signature_of
	withheld := facts_by_signature[key].withheld_fields
	count(withheld) > 0
}

no_fields_left(fields) := {lib.reason(
	"geen-vrijgeefbare-velden",
	"Van dit signaal blijft geen enkel veld over dat verstrekt mag worden.",
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
)} if count(fields) == 0 else := set()

need_to_know_left_nothing(party_type, facts) := {lib.reason(
	"geen-velden-nodig-voor-ontvanger",
	sprintf("Partnertype %q heeft geen van de vrij te geven velden van dit signaal nodig voor zijn taak.", [party_type]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
)} if {
	count(facts.releasable) > 0
	count(fields_for_type(party_type, facts.releasable)) == 0
} else := set()

# --- Blockers that hold for every recipient ----------------------------------------------------

# Every rule that holds whoever the recipient is, one function each.
signal_refusals(signal, classes, care, minor, consent) := union({
	incomplete_refusal(signal, classes),
	cie_refusal(classes),
	out_of_scope_refusal(signal),
	care_refusals(care, consent),
	minor_case_refusals(minor),
})

incomplete_refusal(signal, classes) := {lib.reason(
	"signaal-onvolledig",
	"Het signaal mist de vorm, het type van de aanleverende partner of de gegevensklassen; een onvolledig signaal wordt niet verstrekt.",
	"AVG art. 5 lid 1 sub d; Convenant art. 9 lid 1",
) |
	not signal_complete(signal, classes)
}

signal_complete(signal, classes) if {
	signal.form != ""
	signal.party_type != ""
	count(classes) > 0
}

cie_refusal(classes) := {lib.reason(
	"cie-nooit-verstrekken",
	"CIE-informatie wordt nooit verstrekt.",
	"Wpg art. 12; Convenant art. 5 lid 3",
) |
	"cie" in classes
}

out_of_scope_refusal(signal) := {lib.reason(
	"buiten-reikwijdte-convenant",
	sprintf("Vorm %q valt buiten het convenant; het signaal is alleen gelabeld en wordt niet verstrekt.", [signal.form]),
	"AVG art. 5 lid 1 sub b; Convenant art. 5 lid 4",
) |
	lib.form_out_of_scope(signal.form)
}

# Care data needs the client's consent or acute danger established in the case; in the general
# part of a split meeting it is not discussed at all (Convenant art. 10).
care_refusals(true, consent) := {lib.reason(
	"zorg-zonder-toestemming-of-acuut-gevaar",
	"Zorggegevens onder beroepsgeheim: de cliënt heeft geen toestemming gegeven en in de casus is geen acuut gevaar vastgesteld.",
	"BW art. 7:457; AVG art. 9 lid 2 sub a en c; Convenant art. 10 lid 1",
) |
	not consent
	not case_has_acute_danger
} | {lib.reason(
	"zorgdeel-gescheiden-overleg",
	"Dit is het algemene deel van een gesplitst casusoverleg, zonder de zorgcoördinator: zorggegevens worden alleen in het zorgdeel besproken.",
	"Convenant art. 10 lid 3",
) |
	not care_may_be_discussed
}

care_refusals(false, _) := set()

# Minors: the case purpose must be one of minors.purposes and a privacy officer must have
# approved (Convenant art. 12; the CBP found case meetings without such safeguards unlawful).
minor_case_refusals(true) := {lib.reason(
	"minderjarige-doel-niet-toegestaan",
	sprintf("Gegevens over een minderjarige worden niet verstrekt voor het doel %q.", [case_purpose_id]),
	"AVG overweging 38; Convenant art. 12 lid 1",
) |
	not case_purpose_id in data.covenant.minors.purposes
} | {lib.reason(
	"minderjarige-goedkeuring-ontbreekt",
	sprintf("Gegevens over een minderjarige: goedkeuring door een %s ontbreekt.", [data.covenant.minors.required_approval]),
	"AVG overweging 38; Convenant art. 12 lid 1",
) |
	not data.covenant.minors.required_approval in approved_roles
}

minor_case_refusals(false) := set()

# --- Blockers that depend on the recipient -----------------------------------------------------

# Every rule that depends on the recipient, one function each. A new rule of this kind is a new
# function below plus one line here.
recipient_refusals(party_type, profile) := union({
	class_refusals(party_type, profile),
	embargo_refusal(party_type, profile),
	care_recipient_refusal(party_type, profile),
	minor_recipient_refusal(party_type, profile),
})

embargo_refusal(party_type, profile) := {lib.reason(
	"embargo-lopend-onderzoek",
	"Het signaal staat onder embargo van politie of OM (lopend onderzoek): tot en met de embargodatum ontvangen alleen politie en OM het.",
	"Convenant art. 11 lid 2",
) |
	profile.embargo
	not party_type in data.covenant.embargo.exempt_recipient_types
}

care_recipient_refusal(party_type, profile) := {lib.reason(
	"zorg-alleen-via-zorgcoordinator",
	"Zorggegevens worden alleen aan of via de zorgcoördinator verstrekt.",
	"BW art. 7:457; Convenant art. 10 lid 2",
) |
	profile.care
	not party_type in data.covenant.care_data.recipient_types
}

minor_recipient_refusal(party_type, profile) := {lib.reason(
	"minderjarige-ontvanger-niet-toegestaan",
	sprintf("Gegevens over een minderjarige worden niet aan partnertype %q verstrekt.", [party_type]),
	"AVG overweging 38; Convenant art. 12 lid 1",
) |
	profile.minor
	not party_type in data.covenant.minors.recipient_types
}

# Each data class needs a basis for this recipient type (Wpg, AVG art. 9 and 10, AWR art. 67).
class_refusals(party_type, profile) := {lib.reason(
	object.get(class_refusal_code, data_class, "gegevensklasse-geen-grondslag"),
	sprintf("Partnertype %q heeft geen grondslag voor %s.", [party_type, lib.class_name(data_class)]),
	lib.class_basis(data_class),
) |
	some data_class in profile.classes
	data_class != "cie"
	not lib.type_may_receive(party_type, data_class)
}

class_refusal_code := {
	"gewoon": "gegevensklasse-geen-grondslag",
	"politiegegevens": "politiegegevens-geen-grondslag",
	"strafrechtelijk": "strafrechtelijk-geen-grondslag",
	"gezondheid": "bijzonder-geen-grondslag",
	"seksueel_leven": "bijzonder-geen-grondslag",
	"fiscaal": "fiscaal-geen-grondslag",
	"zorg_beroepsgeheim": "beroepsgeheim-geen-grondslag",
	"verblijfsstatus": "verblijfsstatus-geen-grondslag",
}

# --- Why a recipient receives what it receives -------------------------------------------------

release_grounds(party_type, released_profiles) := ((({lib.reason(
	"grondslag-ontvanger",
	sprintf("Partnertype %q ontvangt %s.", [party_type, lib.class_name(data_class)]),
	lib.receive_basis(party_type, data_class),
) |
	some data_class in {data_class | some key in released_profiles; some data_class in profiles[key].classes}
} | {lib.reason(
	"zorg-toestemming-of-acuut-gevaar",
	"Zorggegevens: de cliënt heeft toestemming gegeven, of de casusregisseur heeft acuut gevaar vastgesteld (conflict van plichten).",
	"AVG art. 9 lid 2 sub a en c; Convenant art. 10 lid 1",
) |
	some key in released_profiles
	profiles[key].care
}) | {lib.reason(
	"embargo-uitzondering-politie-om",
	"Signalen onder embargo: politie en OM ontvangen ze wel.",
	"Convenant art. 11 lid 2",
) |
	some key in released_profiles
	profiles[key].embargo
}) | {lib.reason(
	"minderjarige-waarborgen",
	"Minderjarige: doel, goedkeuring door de privacy officer en ontvanger voldoen aan de extra waarborgen.",
	"Convenant art. 12 lid 1",
) |
	some key in released_profiles
	profiles[key].minor
})

# --- Fields ------------------------------------------------------------------------------------

# The fields that belong to a signal: the identifying fields under `gewoon` belong to every
# signal; the fields of a special class only when the signal carries that class.
fields_of_class := {data_class: {field | some field in fields} | some data_class, fields in data.covenant.fields}

base_fields := object.get(fields_of_class, "gewoon", set())

reporter_fields := {field | some field in data.covenant.source_protection.reporter_fields}

party_identity_fields := {field | some field in data.covenant.source_protection.party_identity_fields}

never_released := {field | some field, _ in data.covenant.never_released_fields}

# Which offered fields may go to any recipient that receives the signal, and why the others may
# not. Most fields are ordinary identifying fields; only the others need a closer look.
field_verdict(signal, classes) := {"releasable": releasable, "withheld": withheld} if {
	offered := {field | some field in signal.fields}
	special := offered - base_fields
	reporter := special & reporter_fields
	never := special & never_released
	identity := party_identity_withheld(signal, offered)
	outside := {field |
		some field in (special - reporter_fields) - never_released
		not field_belongs_to(field, classes)
	}
	releasable := offered - (((reporter | never) | identity) | outside)
	withheld := (({reporter_withheld[field] | some field in reporter} |
		{never_released_withheld[field] | some field in never}) |
		{party_identity_withheld_field[field] | some field in identity}) |
		{withheld_field(field, class_field_reason(field)) | some field in outside}
}

withheld_field(field, reason) := {"field": field, "reasons": {reason}}

field_belongs_to(field, classes) if {
	some data_class in classes
	field in fields_of_class[data_class]
}

party_identity_withheld(signal, offered) := offered & party_identity_fields if {
	object.get(signal.flags, "source_protected", false) == true
} else := set()

# Who reported is never released (Convenant art. 13 lid 1).
reporter_withheld := {field: withheld_field(field, lib.reason(
	"bronbescherming-melder",
	sprintf("Veld %q noemt de melder; wie meldde wordt nooit verstrekt.", [field]),
	"Convenant art. 13 lid 1",
)) |
	some field in reporter_fields
}

never_released_withheld := {field: withheld_field(field, lib.reason(
	"veld-nooit-verstrekken",
	sprintf("Veld %q wordt niet verstrekt: %s.", [field, rule.reason]),
	rule.basis,
)) |
	some field, rule in data.covenant.never_released_fields
}

party_identity_withheld_field := {field: withheld_field(field, lib.reason(
	"bronbescherming-partij",
	sprintf("Het signaal is bronbeschermd: veld %q (welke partner aanleverde) wordt niet verstrekt.", [field]),
	"Convenant art. 13 lid 2",
)) |
	some field in party_identity_fields
}

class_field_reason(field) := lib.reason(
	"veld-buiten-gegevensklasse",
	sprintf("Veld %q hoort niet bij de gegevensklassen van dit signaal.", [field]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
)

# Partner types with a need-to-know list receive only those fields (Convenant art. 9 lid 7).
need_to_know := {party_type: {field | some field in rules.need_to_know_fields} |
	some party_type, rules in data.covenant.party_types
	rules.need_to_know_fields
}

fields_for_type(party_type, fields) := fields & need_to_know[party_type] if {
	need_to_know[party_type]
} else := fields

need_to_know_withholdings(party_type, outcomes) := {withheld_field(field, lib.reason(
	"veld-buiten-noodzaak",
	sprintf("Partnertype %q heeft veld %q niet nodig voor zijn taak.", [party_type, field]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
)) |
	some field in {field | some outcome in outcomes; some field in outcome.not_needed}
}

# --- Facts about a signal and the case ---------------------------------------------------------

# Independent sources for proportionality: not the RIEC (its analyses derive from others'
# data), and only signals that could be released at all.
independent_source(signal, classes) := true if {
	not signal.party_type in proportionality.not_independent_types
	not lib.form_out_of_scope(signal.form)
	not "cie" in classes
} else := false

urgency_flag(signal) := true if {
	lib.is_urgent(signal.form, signal.indicators, signal.flags)
} else := false

care_classes := {data_class | some data_class in data.covenant.care_data.classes}

care_source_classes := {data_class | some data_class in data.covenant.care_data.source_classes}

# Care data: data under professional secrecy, or health data from a care partner (Convenant
# art. 10). The same definition as lib.is_care_data, with set operations.
care_flag(source_type, classes) := true if {
	count(classes & care_classes) > 0
} else := true if {
	source_type in data.covenant.care_data.source_types
	count(classes & care_source_classes) > 0
} else := false

today := lib.local_date(input.now)

# An embargo holds up to and including its date (Convenant art. 11 lid 2).
embargo_flag(signal) := true if {
	until := object.get(signal.flags, "embargo_until", null)
	is_string(until)
	today <= substring(until, 0, 10)
} else := false

# Care data is discussed only when the meeting is not split, or in its care part.
care_may_be_discussed if object.get(input.case, "meeting_part", null) == null

care_may_be_discussed if input.case.meeting_part == "zorg"
