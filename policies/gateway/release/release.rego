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
# The decision (the output contract is described precisely in README.md, "Uitkomst")
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
	"withheld": withheld_from_everyone,
	"fields_withheld": fields_withheld,
	"releases": releases,
}

# Signals withheld from every participant, grouped by reason: each case blocker holds for every
# signal; otherwise the refusals that hold whoever the recipient is (layer 3).
withheld_from_everyone := {withheld_group(reason, signal_ids) | some reason in case_blockers; signal_ids != set()} if {
	count(case_blockers) > 0
} else := signal_refusal_groups

# Per participant: the signals it receives with their fields, the signals withheld from it for a
# reason of its own (beyond withheld_from_everyone), the grounds on which it receives what it
# receives, and the fields of its signals that its type does not need.
releases[participant.party] := release_for(participant) if some participant in input.participants

# A blocked case releases nothing to anyone (the reasons are in withheld_from_everyone); a blocked
# recipient receives nothing; otherwise the recipient's type decides (after the case meeting: its
# type and the kinds of intervention assigned to it).
release_for(participant) := nothing_for_anyone if {
	count(case_blockers) > 0
} else := withhold_everything(participant_blockers[participant.party]) if {
	count(participant_blockers[participant.party]) > 0
} else := releases_by_type[recipient_type(participant)] if {
	not intervention_stage
} else := releases_by_intervention[[recipient_type(participant), intervention_kinds[participant.party]]]

nothing_for_anyone := {"signals": {}, "withheld": set(), "reasons": set(), "withheld_fields": set()}

withhold_everything(reasons) := {
	"signals": {},
	"withheld": {withheld_group(reason, signal_ids) | some reason in reasons; signal_ids != set()},
	"reasons": set(),
	"withheld_fields": set(),
}

# A reason together with the signals it holds for: {code, message, basis, signals}.
withheld_group(reason, ids) := {"code": reason.code, "message": reason.message, "basis": reason.basis, "signals": ids}

# The same for a field: {field, code, message, basis, signals}.
withheld_field_group(field, reason, ids) := {
	"field": field,
	"code": reason.code,
	"message": reason.message,
	"basis": reason.basis,
	"signals": ids,
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

# Any other level than "metadata", "details" or "interventie" (such as "geen" after closure)
# releases nothing.
case_blockers contains lib.reason(
	"fase-geen-verstrekking",
	sprintf("In fase %q worden geen gegevens verstrekt.", [case_stage]),
	"Convenant art. 7 lid 3",
) if {
	data.covenant.release.stages[case_stage]
	not stage_level in {"metadata", "details", "interventie"}
}

case_grounds contains lib.reason(
	"fase-details-toegestaan",
	sprintf("De casus is in fase %q: details mogen per ontvanger worden verstrekt (need-to-know).", [case_stage]),
	"Convenant art. 7 lid 2",
) if stage_level == "details"

case_grounds contains lib.reason(
	"fase-alleen-voor-interventie",
	sprintf("De casus is in fase %q, na het casusoverleg: een deelnemer krijgt alleen de gegevens die de interventie nodig heeft die hem in de casus is toegewezen.", [case_stage]),
	"AVG art. 5 lid 1 sub c; Convenant art. 7 lid 2; art. 19 lid 6",
) if intervention_stage

intervention_stage if stage_level == "interventie"

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

# Independent sources, counted as the hits rule and the case policy count them
# (lib.independent_parties): distinct partners, not the RIEC (its analyses derive from others'
# data), and only signals that could be released at all (no CIE, no form outside the covenant).
independent_parties := lib.independent_parties(input.signals)

# Only asked when there are too few independent partners (the usual case needs no urgency).
# Urgency lifts the two-partner rule only: care data under professional secrecy needs consent
# or acute danger established by the case director (case_has_acute_danger), never an urgency
# rule alone (see the care refusal below).
case_is_urgent if case_has_acute_danger

case_is_urgent if {
	some signal in input.signals
	lib.is_urgent(object.get(signal, "form", ""), object.get(signal, "indicators", []), object.get(signal, "flags", {}))
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

participant_blockers := {participant.party: participant_refusals(participant, recipient_type(participant)) |
	some participant in input.participants
}

participant_refusals(participant, party_type) := ({lib.reason(
	"ontvanger-geen-convenantpartner",
	sprintf("%q heeft het convenant niet ondertekend en ontvangt alleen geanonimiseerde cijfers.", [participant.party]),
	"Convenant art. 3 lid 2",
) |
	not recipient_is_signatory(participant)
} | {lib.reason(
	"ontvanger-type-onbekend",
	sprintf("Partnertype %q staat niet in het convenant (party_types).", [party_type]),
	"Convenant art. 9",
) |
	not data.covenant.party_types[party_type]
}) | {lib.reason(
	"doel-niet-voor-ontvanger",
	sprintf("Het doel %q is geen doel van partnertype %q.", [case_purpose_id, party_type]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8",
) |
	data.covenant.party_types[party_type]
	not lib.type_has_purpose(party_type, case_purpose_id)
} | {lib.reason(
	"geen-interventie-toegewezen",
	sprintf("De casus is in fase %q, na het casusoverleg: alleen een deelnemer met een interventie in deze casus krijgt gegevens, en %q heeft er geen (met een status uit cases.interventions.release_statuses, van een soort voor zijn partnertype).", [case_stage, participant.party]),
	"AVG art. 5 lid 1 sub c; Convenant art. 7 lid 2; art. 19 lid 6",
) |
	intervention_stage
	not intervention_kinds[participant.party]
}

recipient_is_signatory(participant) if {
	participant.signatory == true
	lib.is_signatory(participant.party)
}

# --- After the case meeting: only what the assigned intervention needs ---------------------------
#
# In the stages with level "interventie" (toewijzing, uitvoering, evaluatie) a participant
# receives only if the case assigns it an intervention (input.case.interventions: party, kind,
# status), and only the fields its kinds need (cases.interventions.kinds.<kind>.needed_fields).
# An intervention counts when its status is one of cases.interventions.release_statuses and its
# kind is one for the party's type (the case policy checked that when it was assigned).

case_interventions := [intervention |
	some intervention in object.get(input.case, "interventions", [])
	intervention.status in data.covenant.cases.interventions.release_statuses
	intervention_type := data.covenant.parties[intervention.party].type
	intervention_type in data.covenant.cases.interventions.kinds[intervention.kind].party_types
]

# party -> the kinds of intervention it carries out in this case.
intervention_kinds := {party: kinds |
	some party in {intervention.party | some intervention in case_interventions}
	kinds := {intervention.kind | some intervention in case_interventions; intervention.party == party}
}

# The fields a set of intervention kinds needs.
intervention_fields(kinds) := union({{field | some field in data.covenant.cases.interventions.kinds[kind].needed_fields} |
	some kind in kinds
})

# =============================================================================================
# Layer 3: each signal, per recipient type
# =============================================================================================
#
# A case of 50 signals must be decided in a few milliseconds, and OPA spends microseconds on
# every step it evaluates. So nothing below runs per signal and recipient, and no reason is built
# per signal. Each fact about the signals is one pass over input.signals that collects the ids
# of the signals it holds for (a set of ids); the rules are set arithmetic on those sets, once
# for the whole case (signal_refusals) or once per recipient type (recipient_refusals). A reason
# is built once and carries the set of signals it holds for. Set lookups (`s[x]`) are cheaper
# than `x in s`, and one pass per fact is cheaper than one pass that builds a record per signal.

signal_ids := {signal.id | some signal in input.signals}

# --- Facts about the signals, as sets of signal ids ---------------------------------------------

# The signals that carry each data class, grouped from [class, id] pairs: linear in the number of
# signals (a rule `class_members[c] contains id` copies ever larger sets, quadratic at scale).
class_members := {data_class: {pair[1] | some pair in class_pairs; pair[0] == data_class} |
	some data_class in {pair[0] | some pair in class_pairs}
}

class_pairs := [[data_class, signal.id] | some signal in input.signals; some data_class in signal.data_classes]

# Flags: only `true` counts; a flag that is absent, false or null is not set.
minor_signals := {signal.id | some signal in input.signals; signal.flags.minor == true}

consent_signals := {signal.id | some signal in input.signals; signal.flags.consent == true}

protected_signals := {signal.id | some signal in input.signals; signal.flags.source_protected == true}

# An embargo holds up to and including its date, in Dutch local time (Convenant art. 11 lid 2).
embargo_signals := {signal.id |
	some signal in input.signals
	until := signal.flags.embargo_until
	is_string(until)
	today <= substring(until, 0, 10)
}

today := lib.local_date(input.now)

# The investigation's embargo (decision point `embargo`, Convenant art. 11 lid 3): the gateway
# flags every signal in the case that concerns an embargoed subject, is itself embargoed or lies
# in an embargoed case, whoever supplied it, with the end date and the recipient types the
# embargo still allows. Per signal id: the set of allowed types. Only the flagged signals are
# visited; a case without such an embargo costs one pass that finds nothing.
investigation_embargoes := {signal.id: {t | some t in held.allowed_types} |
	some signal in input.signals
	held := signal.flags.investigation_embargo
	is_string(held.until)
	today <= substring(held.until, 0, 10)
}

# Complete: a form, the type of the source partner and at least one data class. Any other
# signal is withheld (signaal-onvolledig), never silently left out.
complete_signals := {signal.id |
	some signal in input.signals
	signal.form != ""
	signal.party_type != ""
	signal.data_classes[0]
}

# The signals of each form outside the covenant (mensensmokkel).
out_of_scope_members := {form: ids |
	some form in data.covenant.forms.out_of_scope
	ids := {signal.id | some signal in input.signals; signal.form == form}
	ids != set()
}

# Care data: data under professional secrecy, or health data from a care partner (Convenant
# art. 10). The same definition as lib.is_care_data, in sets.
care_signals := members(class_members, data.covenant.care_data.classes) | care_source_signals

# Health data from a care partner; the source type is looked at only when there is health data.
care_source_signals := {signal.id |
	some signal in input.signals
	source_class_signals[signal.id]
	care_source_types[signal.party_type]
} if {
	source_class_signals := members(class_members, data.covenant.care_data.source_classes)
	source_class_signals != set()
} else := set()

care_source_types := {party_type | some party_type in data.covenant.care_data.source_types}

# The signals listed under any of these keys.
members(sets, keys) := union({sets[key] | some key in keys})

# Care data is discussed only when the meeting is not split, or in its care part.
care_may_be_discussed if object.get(input.case, "meeting_part", null) == null

care_may_be_discussed if input.case.meeting_part == "zorg"

# --- Fields ------------------------------------------------------------------------------------

# The fields that belong to a signal: the identifying fields under `gewoon` belong to every
# signal; the fields of a special class only when the signal carries that class.
fields_of_class := {data_class: {field | some field in fields} | some data_class, fields in data.covenant.fields}

reporter_fields := {field | some field in data.covenant.source_protection.reporter_fields}

party_identity_fields := {field | some field in data.covenant.source_protection.party_identity_fields}

never_released := {field | some field, _ in data.covenant.never_released_fields}

# The fields a signal with this list of classes may pass on: the ordinary fields and those of its
# classes, never a reporter field or a never-released field. Once per distinct list of classes.
fields_for_classes := {classes: (union({fields | some data_class in classes; fields := passable_fields[data_class]}) | ordinary_fields) |
	some classes in {signal.data_classes | some signal in input.signals}
}

passable_fields := {data_class: (fields - (reporter_fields | never_released)) | some data_class, fields in fields_of_class}

ordinary_fields := object.get(passable_fields, "gewoon", set())

# Per signal: [the fields that may go to any recipient that receives it, the fields withheld
# from everyone]. A signal without a list of classes has no entry (it is incomplete).
field_verdicts := {signal.id: [offered & allowed, offered - allowed] |
	some signal in input.signals
	offered := {field | some field in signal.fields}
	allowed := fields_for_classes[signal.data_classes]
}

# A source-protected signal also loses the fields that name the partner that reported it.
releasable_fields := object.union({id: verdict[0] | some id, verdict in field_verdicts}, {id: (verdict[0] - party_identity_fields) |
	some id in protected_signals
	verdict := field_verdicts[id]
})

# The signals with at least one field that may be released.
signals_with_fields := {id | some id, fields in releasable_fields; fields != set()}

# Fields withheld from every recipient (source protection, BSN, fields outside the signal's
# classes): one entry per field and reason, with the signals it holds for.
fields_withheld := {withheld_field_group(field, reason, ids) |
	some field in {pair[0] | some pair in field_pairs}
	ids := {pair[1] | some pair in field_pairs; pair[0] == field}
	some reason in field_reasons(field)
} | {withheld_field_group(field, identity_reason(field), ids) |
	some field in party_identity_fields
	ids := {id | some id in protected_signals; field_verdicts[id][0][field]}
	ids != set()
}

# [field, signal] for each field withheld from every recipient because of what the field is.
field_pairs := [[field, id] | some id, verdict in field_verdicts; some field in verdict[1]]

# Why such a field is withheld: it names the reporter, it is never released, or it does not
# belong to the classes of the signal that carries it.
field_reasons(field) := {lib.reason(
	"bronbescherming-melder",
	sprintf("Veld %q noemt de melder; wie meldde wordt nooit verstrekt.", [field]),
	"Convenant art. 13 lid 1",
) |
	reporter_fields[field]
} | {lib.reason(
	"veld-nooit-verstrekken",
	sprintf("Veld %q wordt niet verstrekt: %s.", [field, rule.reason]),
	rule.basis,
) |
	rule := data.covenant.never_released_fields[field]
} | {lib.reason(
	"veld-buiten-gegevensklasse",
	sprintf("Veld %q hoort niet bij de gegevensklassen van dit signaal.", [field]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
) |
	not reporter_fields[field]
	not never_released[field]
}

identity_reason(field) := lib.reason(
	"bronbescherming-partij",
	sprintf("Het signaal is bronbeschermd: veld %q (welke partner aanleverde) wordt niet verstrekt.", [field]),
	"Convenant art. 13 lid 2",
)

# Partner types with a need-to-know list receive only those fields (Convenant art. 9 lid 7).
need_to_know[party_type] := {field | some field in fields} if {
	some party_type in judged_types
	fields := data.covenant.party_types[party_type].need_to_know_fields
}

# --- Refusals that hold whoever the recipient is -------------------------------------------------
#
# Each entry is [reason, ids]: one reason and the signals it holds for. A new rule of this kind
# is one more `signal_refusals contains [reason, ids] if { ... }`; an empty set of ids is ignored.

signal_refusals contains [lib.reason(
	"signaal-onvolledig",
	"Het signaal mist de vorm, het type van de aanleverende partner of de gegevensklassen; een onvolledig signaal wordt niet verstrekt.",
	"AVG art. 5 lid 1 sub d; Convenant art. 9 lid 1",
), signal_ids - complete_signals]

signal_refusals contains [lib.reason(
	"cie-nooit-verstrekken",
	"CIE-informatie wordt nooit verstrekt.",
	"Wpg art. 12; Convenant art. 5 lid 3",
), class_members.cie]

signal_refusals contains [lib.reason(
	"buiten-reikwijdte-convenant",
	sprintf("Vorm %q valt buiten het convenant; het signaal is alleen gelabeld en wordt niet verstrekt.", [form]),
	"AVG art. 5 lid 1 sub b; Convenant art. 5 lid 4",
), ids] if some form, ids in out_of_scope_members

# Care data needs the client's consent or acute danger established in the case; in the general
# part of a split meeting it is not discussed at all (Convenant art. 10).
signal_refusals contains [lib.reason(
	"zorg-zonder-toestemming-of-acuut-gevaar",
	"Zorggegevens onder beroepsgeheim: de cliënt heeft geen toestemming gegeven en in de casus is geen acuut gevaar vastgesteld.",
	"BW art. 7:457; AVG art. 9 lid 2 sub a en c; Convenant art. 10 lid 1",
), care_signals - consent_signals] if not case_has_acute_danger

signal_refusals contains [lib.reason(
	"zorgdeel-gescheiden-overleg",
	"Dit is het algemene deel van een gesplitst casusoverleg, zonder de zorgcoördinator: zorggegevens worden alleen in het zorgdeel besproken.",
	"Convenant art. 10 lid 3",
), care_signals] if not care_may_be_discussed

# Minors: the case purpose must be one of minors.purposes and a privacy officer must have
# approved (Convenant art. 12; the CBP found case meetings without such safeguards unlawful).
signal_refusals contains [lib.reason(
	"minderjarige-doel-niet-toegestaan",
	sprintf("Gegevens over een minderjarige worden niet verstrekt voor het doel %q.", [case_purpose_id]),
	"AVG overweging 38; Convenant art. 12 lid 1",
), minor_signals] if not case_purpose_id in data.covenant.minors.purposes

signal_refusals contains [lib.reason(
	"minderjarige-goedkeuring-ontbreekt",
	sprintf("Gegevens over een minderjarige: goedkeuring door een %s ontbreekt.", [data.covenant.minors.required_approval]),
	"AVG overweging 38; Convenant art. 12 lid 1",
), minor_signals] if not data.covenant.minors.required_approval in approved_roles

signal_refusals contains [lib.reason(
	"geen-vrijgeefbare-velden",
	"Van dit signaal blijft geen enkel veld over dat verstrekt mag worden.",
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
), signal_ids - signals_with_fields]

# The same refusals as reasons with their signals (in the decision once, not per participant).
signal_refusal_groups := {withheld_group(reason, ids) | some [reason, ids] in signal_refusals; ids != set()}

# The signals no rule above withholds.
open_signals := signals_with_fields - union({ids | some [_, ids] in signal_refusals})

# --- Refusals that depend on the recipient's type ------------------------------------------------
#
# recipient_refusals[party_type] holds [reason, ids] entries, like signal_refusals. A new rule of
# this kind is one more `recipient_refusals[party_type] contains [reason, ids] if { ... }` that
# starts with `some party_type in judged_types`.

# The types of the participants that are not refused as a whole (layer 2).
judged_types := {recipient_type(participant) |
	some participant in input.participants
	count(participant_blockers[participant.party]) == 0
}

# Each data class needs a basis for this recipient type (Wpg, AVG art. 9 and 10, AWR art. 67).
recipient_refusals[party_type] contains [lib.reason(
	object.get(class_refusal_code, data_class, "gegevensklasse-geen-grondslag"),
	sprintf("Partnertype %q heeft geen grondslag voor %s.", [party_type, class_names[data_class]]),
	lib.class_basis(data_class),
), class_members[data_class]] if {
	some party_type in judged_types
	some data_class in case_classes - object.keys(data.covenant.party_types[party_type].may_receive)
}

# The classes in the case that need a basis (CIE is never released, whoever receives it).
case_classes := object.keys(class_members) - {"cie"}

# A basis serves only the purposes the covenant data name for it (may_receive.<class>.purposes):
# a municipality's Bibob basis serves administrative intervention, the FIOD's basis the
# investigation. A class whose basis does not serve the case's purpose is withheld from that
# type. Once per recipient type and class in the case, never per signal.
recipient_refusals[party_type] contains [lib.reason(
	"grondslag-niet-voor-doel",
	sprintf("De grondslag van partnertype %q voor %s (%s) dient niet het doel %q van de casus, alleen: %s.", [party_type, class_names[data_class], grant.basis, case_purpose_id, concat(", ", object.get(grant, "purposes", ["geen doel"]))]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8",
), class_members[data_class]] if {
	some party_type in judged_types
	some data_class in case_classes
	grant := data.covenant.party_types[party_type].may_receive[data_class]
	not lib.basis_serves(party_type, data_class, case_purpose_id)
}

# The human names of the classes in the case, for messages ("politiegegevens (Wpg)").
class_names := {data_class: lib.class_name(data_class) | some data_class, _ in class_members}

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

recipient_refusals[party_type] contains [lib.reason(
	"embargo-lopend-onderzoek",
	"Het signaal staat onder embargo van politie of OM (lopend onderzoek): tot en met de embargodatum ontvangen alleen politie en OM het.",
	"Convenant art. 11 lid 2",
), embargo_signals] if {
	embargo_signals != set()
	some party_type in judged_types
	not party_type in data.covenant.embargo.exempt_recipient_types
}

# The investigation's embargo withholds every signal it holds from each recipient type it does
# not allow (a whole-case embargo holds all signals of the case). One set per recipient type.
recipient_refusals[party_type] contains [lib.reason(
	"embargo-onderzoek",
	"Een betrokkene, het signaal of de casus staat onder embargo van politie of OM (onderzoek): tot en met de einddatum ontvangen alleen de ontvangers die het embargo toestaat het, van welke partner het signaal ook is. Neem contact op met het OM.",
	"Convenant art. 11 lid 2 en 3",
), ids] if {
	investigation_embargoes != {}
	some party_type in judged_types
	ids := {id | some id, allowed in investigation_embargoes; not allowed[party_type]}
}

recipient_refusals[party_type] contains [lib.reason(
	"zorg-alleen-via-zorgcoordinator",
	"Zorggegevens worden alleen aan of via de zorgcoördinator verstrekt.",
	"BW art. 7:457; Convenant art. 10 lid 2",
), care_signals] if {
	care_signals != set()
	some party_type in judged_types
	not party_type in data.covenant.care_data.recipient_types
}

recipient_refusals[party_type] contains [lib.reason(
	"minderjarige-ontvanger-niet-toegestaan",
	sprintf("Gegevens over een minderjarige worden niet aan partnertype %q verstrekt.", [party_type]),
	"AVG overweging 38; Convenant art. 12 lid 1",
), minor_signals] if {
	minor_signals != set()
	some party_type in judged_types
	not party_type in data.covenant.minors.recipient_types
}

recipient_refusals[party_type] contains [lib.reason(
	"geen-velden-nodig-voor-ontvanger",
	sprintf("Partnertype %q heeft geen van de vrij te geven velden van dit signaal nodig voor zijn taak.", [party_type]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
), {id | some id in signals_with_fields; releasable_fields[id] & needed == set()}] if {
	some party_type, needed in need_to_know
}

# --- What each recipient type receives -----------------------------------------------------------

releases_by_type[party_type] := release_to_type(party_type, object.get(recipient_refusals, party_type, set())) if {
	some party_type in judged_types
}

release_to_type(party_type, refusals) := {
	"signals": fields_for_type(party_type, released),
	"withheld": {withheld_group(reason, ids) | some [reason, ids] in refusals; ids != set()},
	"reasons": release_grounds(party_type, released),
	"withheld_fields": need_to_know_withholdings(party_type, released),
} if {
	released := open_signals - union({ids | some [_, ids] in refusals})
}

# The fields per released signal: all its releasable fields, or those the type needs.
fields_for_type(party_type, released) := {id: (releasable_fields[id] & needed) | some id in released} if {
	needed := need_to_know[party_type]
} else := object.filter(releasable_fields, released)

need_to_know_withholdings(party_type, released) := {withheld_field_group(field, lib.reason(
	"veld-buiten-noodzaak",
	sprintf("Partnertype %q heeft veld %q niet nodig voor zijn taak.", [party_type, field]),
	"AVG art. 5 lid 1 sub c; Convenant art. 9 lid 7",
), ids) |
	needed := need_to_know[party_type]
	pairs := [[field, id] | some id in released; some field in releasable_fields[id] - needed]
	some field in {pair[0] | some pair in pairs}
	ids := {pair[1] | some pair in pairs; pair[0] == field}
}

# After the case meeting: what a recipient type receives, cut to what its intervention kinds
# need. Once per distinct [type, kinds] among the participants; the fields per released signal
# are intersected once, as for a need-to-know list.
releases_by_intervention[[party_type, kinds]] := for_intervention(releases_by_type[party_type], party_type, kinds) if {
	intervention_stage
	some participant in input.participants
	count(participant_blockers[participant.party]) == 0
	party_type := recipient_type(participant)
	kinds := intervention_kinds[participant.party]
}

for_intervention(release, party_type, kinds) := {
	"signals": kept,
	"withheld": release.withheld | {withheld_group(intervention_signal_reason(kinds), unneeded) | unneeded != set()},
	"reasons": release_grounds(party_type, object.keys(kept)) | {intervention_ground(kinds)},
	"withheld_fields": release.withheld_fields | intervention_field_withholdings(kinds, kept, release.signals),
} if {
	needed := intervention_fields(kinds)
	kept := {id: (fields & needed) | some id, fields in release.signals; (fields & needed) != set()}
	unneeded := object.keys(release.signals) - object.keys(kept)
}

intervention_signal_reason(kinds) := lib.reason(
	"geen-velden-nodig-voor-interventie",
	sprintf("Geen van de velden die deze ontvanger van het signaal zou krijgen, is nodig voor zijn interventie (%s).", [concat(", ", sort(kinds))]),
	"AVG art. 5 lid 1 sub c; Convenant art. 7 lid 2; art. 19 lid 6",
)

intervention_ground(kinds) := lib.reason(
	"interventie-toegewezen",
	sprintf("De ontvanger voert in deze casus een interventie uit (%s) en krijgt alleen de velden die daarvoor nodig zijn.", [concat(", ", sort(kinds))]),
	"AVG art. 5 lid 1 sub c; Convenant art. 7 lid 2; art. 19 lid 6",
)

intervention_field_withholdings(kinds, kept, offered) := {withheld_field_group(field, lib.reason(
	"veld-niet-nodig-voor-interventie",
	sprintf("Veld %q is niet nodig voor de interventie van deze ontvanger (%s).", [field, concat(", ", sort(kinds))]),
	"AVG art. 5 lid 1 sub c; Convenant art. 7 lid 2; art. 19 lid 6",
), ids) |
	pairs := [[field, id] | some id, fields in kept; some field in offered[id] - fields]
	some field in {pair[0] | some pair in pairs}
	ids := {pair[1] | some pair in pairs; pair[0] == field}
}

# --- Why a recipient receives what it receives ---------------------------------------------------

release_grounds(party_type, released) := {lib.reason(
	"grondslag-ontvanger",
	sprintf("Partnertype %q ontvangt %s.", [party_type, class_names[data_class]]),
	ground.basis,
) |
	some data_class, ground in data.covenant.party_types[party_type].may_receive
	any_released(class_members[data_class], released)
} | {lib.reason(
	"zorg-toestemming-of-acuut-gevaar",
	"Zorggegevens: de cliënt heeft toestemming gegeven, of de casusregisseur heeft acuut gevaar vastgesteld (conflict van plichten).",
	"AVG art. 9 lid 2 sub a en c; Convenant art. 10 lid 1",
) |
	any_released(care_signals, released)
} | {lib.reason(
	"embargo-uitzondering-politie-om",
	"Signalen onder embargo: politie en OM ontvangen ze wel.",
	"Convenant art. 11 lid 2",
) |
	any_released(embargo_signals, released)
} | {lib.reason(
	"embargo-onderzoek-ontvanger-toegestaan",
	"Signalen onder embargo van het onderzoek: deze ontvanger is een van de ontvangers die het embargo toestaat.",
	"Convenant art. 11 lid 2 en 3",
) |
	any_released(object.keys(investigation_embargoes), released)
} | {lib.reason(
	"minderjarige-waarborgen",
	"Minderjarige: doel, goedkeuring door de privacy officer en ontvanger voldoen aan de extra waarborgen.",
	"Convenant art. 12 lid 1",
) |
	any_released(minor_signals, released)
}

# At least one of these signals is released (stops at the first).
any_released(ids, released) if {
	some id in ids
	released[id]
}
