# METADATA
# title: Casus en ketenproces (case)
# description: >-
#   Mag deze stap in een casus worden gezet? Openen uit een hit, naar een volgende fase gaan of
#   sluiten, signalen toevoegen, een interventie toewijzen of bijwerken, goedkeuren: elke stap
#   vraagt het beleid. De fasen, wie wat mag, de goedkeuringen en de soorten interventies staan
#   in data.covenant.cases. Zie README.md in deze map voor de invoer en de regels.
package gateway.case

import rego.v1

import data.gateway.lib.covenant as lib

# =============================================================================================
# The decision (the input and output contract is described precisely in README.md)
# =============================================================================================

# Deny by default: allowed only for a known action that nothing blocks.
default allow := false

allow if {
	action in actions
	count(blockers) == 0
}

decision := {
	"allow": allow,
	"reasons": blockers | grounds,
	"action": action,
	"next_stages": next_stages,
	"aggregates_only": aggregates_only,
}

actions := {"open", "transition", "add_signals", "edit_file", "view_file", "assign_intervention", "update_intervention", "approve", "view"}

blockers contains lib.reason(
	"actie-onbekend",
	sprintf("Actie %v bestaat niet voor een casus; bekend zijn: %s.", [action, concat(", ", sort(actions))]),
	"Convenant art. 19",
) if not action in actions

# =============================================================================================
# The input, read defensively: a missing or malformed field takes a default, so a refusal
# always carries its reason instead of the decision becoming undefined.
# =============================================================================================

# object.get that also accepts a value that is no object (then: the default).
field(value, key, default_value) := object.get(value, key, default_value) if {
	is_object(value)
} else := default_value

# A list from the input; anything else counts as empty.
list_of(value) := value if is_array(value) else := []

action := field(input, "action", "")

requester := field(input, "requester", {})

requester_party := field(requester, "party", "")

requester_roles := list_of(field(requester, "roles", []))

requester_alias := field(requester, "sub_alias", "")

the_case := field(input, "case", {})

stage := field(the_case, "stage", "")

purpose := field(the_case, "purpose", "")

participants := {party | some party in list_of(field(the_case, "participants", []))}

hit := field(the_case, "hit", {})

approvals := [approval | some approval in list_of(field(the_case, "approvals", [])); is_object(approval)]

cases := data.covenant.cases

closed_stage := cases.closed_stage

# The covenant data decides a party's type and whether it signed, never the input.
party_type(party) := data.covenant.parties[party].type

# The requester acts in a role only when the token carries it and the covenant grants it.
requester_acts_as(role) if {
	role in requester_roles
	lib.party_holds_role(requester_party, role)
}

# =============================================================================================
# Who directs: the RIEC's case director
# =============================================================================================

requester_is_director if {
	lib.is_signatory(requester_party)
	party_type(requester_party) in cases.director.party_types
	requester_acts_as(cases.director.role)
}

blockers contains lib.reason(
	"verzoeker-geen-casusregisseur",
	"Alleen de casusregisseur van het RIEC opent een casus, bouwt het casusdossier, zet de casus in een volgende fase of sluit hem, en wijst interventies toe.",
	"Convenant art. 4 lid 2; art. 19 lid 1, 2 en 6",
) if {
	action in {"open", "transition", "assign_intervention", "edit_file", "view_file"}
	not requester_is_director
}

# A closed case does not change any more: no stage, no signals, no approvals, no interventions.
# It can still be read (view).
blockers contains lib.reason(
	"casus-gesloten",
	sprintf("De casus is gesloten (fase %q); er kan niets meer aan veranderen.", [closed_stage]),
	"Convenant art. 19 lid 3",
) if {
	action in actions - {"open", "view", "view_file"}
	stage == closed_stage
}

# =============================================================================================
# view: who sees a case's course (stage, participants, approvals, interventions, history;
# never signal content). The directing party type (the RIEC) and the case's participants.
# =============================================================================================

viewing if action == "view"

requester_reads_as_director_type if party_type(requester_party) in cases.director.party_types

requester_reads_as_participant if requester_party in participants

blockers contains lib.reason(
	"casus-niet-zichtbaar",
	"Alleen het RIEC en de deelnemers van de casus zien het verloop ervan.",
	"AVG art. 5 lid 1 sub f; Convenant art. 19 lid 1",
) if {
	viewing
	not requester_reads_as_director_type
	not requester_reads_as_participant
}

grounds contains lib.reason(
	"casus-inzage-regie",
	"De partij voert de regie over casussen (het RIEC) en ziet het verloop.",
	"Convenant art. 19 lid 1",
) if {
	viewing
	requester_reads_as_director_type
}

grounds contains lib.reason(
	"casus-inzage-deelnemer",
	"De partij neemt deel aan de casus en ziet het verloop.",
	"Convenant art. 19 lid 1",
) if {
	viewing
	requester_reads_as_participant
}

# =============================================================================================
# open: from an open hit, for a chain-approach purpose, with covenant partners
# =============================================================================================

opening if action == "open"

hit_status := field(hit, "status", "")

blockers contains lib.reason(
	"hit-niet-open",
	sprintf("De hit heeft status %v; een casus wordt alleen geopend uit een hit met status %s.", [hit_status, concat(" of ", cases.open_from_hit_statuses)]),
	"Convenant art. 1 lid 1; art. 19 lid 1",
) if {
	opening
	not hit_status in cases.open_from_hit_statuses
}

# --- Purpose binding ---------------------------------------------------------------------------

blockers contains lib.reason(
	"doel-onbekend",
	sprintf("Doel %v is geen doel van het convenant.", [purpose]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 8",
) if {
	opening
	not data.covenant.purposes[purpose]
}

blockers contains lib.reason(
	"doel-niet-voor-casus",
	sprintf("Doel %q is een convenantdoel, maar geen doel waarvoor een casus in de ketenaanpak wordt geopend (%s).", [purpose, concat(", ", cases.purposes)]),
	"AVG art. 5 lid 1 sub b; Convenant art. 2 lid 6 en 8; art. 19 lid 1",
) if {
	opening
	data.covenant.purposes[purpose]
	not purpose in cases.purposes
}

grounds contains lib.reason(
	"doelbinding",
	sprintf("Doel van de casus: %s.", [data.covenant.purposes[purpose].name]),
	data.covenant.purposes[purpose].basis,
) if {
	opening
	purpose in cases.purposes
}

# --- Participants ------------------------------------------------------------------------------

blockers contains lib.reason(
	"geen-deelnemers",
	"Een casus heeft ten minste één deelnemer.",
	"Convenant art. 1 lid 1; art. 19 lid 1",
) if {
	opening
	count(participants) == 0
}

# One reason per unknown participant, naming it.
blockers contains lib.reason(
	"deelnemer-onbekend",
	sprintf("Deelnemer %v is geen partner in het convenant.", [party]),
	"Convenant art. 3 lid 1; art. 19 lid 1",
) if {
	opening
	some party in participants
	not data.covenant.parties[party]
}

# A partner that did not sign may take part, but receives aggregates only (the release policy
# withholds everything else from it); the gateway reads `aggregates_only`.
aggregates_only := sort([party |
	some party in participants
	data.covenant.parties[party]
	not lib.is_signatory(party)
])

grounds contains lib.reason(
	"deelnemer-niet-ondertekenaar",
	sprintf("Deelnemer %q heeft het convenant niet ondertekend: hij neemt deel, maar ontvangt alleen geanonimiseerde cijfers.", [party]),
	"Convenant art. 3 lid 2; art. 19 lid 1",
) if {
	opening
	some party in aggregates_only
}

# --- Proportionality ---------------------------------------------------------------------------

proportionality := data.covenant.thresholds.proportionality

# The hit's sources: its signals' partners and forms (`hit.sources`, one entry per distinct
# partner and form), counted as the hits rule and the release count them
# (lib.independent_parties): not the RIEC, not a form outside the covenant. A hit without
# sources has no independent partner (fail closed); `hit.parties` is not used for this, since it
# counts every partner, the RIEC and human smuggling included.
independent_parties := count(lib.independent_parties([source |
	some source in list_of(field(hit, "sources", []))
	is_object(source)
]))

hit_is_urgent if field(hit, "urgent", false) == true

blockers contains lib.reason(
	"proportionaliteit-te-weinig-partners",
	sprintf("De hit heeft signalen van %d onafhankelijke partner(s); voor een casus zijn er %d nodig, tenzij de hit urgent is.", [independent_parties, proportionality.min_independent_parties]),
	"AVG art. 5 lid 1 sub c; Convenant art. 8 lid 1 en 2",
) if {
	opening
	independent_parties < proportionality.min_independent_parties
	not hit_is_urgent
}

grounds contains lib.reason(
	"proportioneel",
	sprintf("De hit heeft signalen van %d onafhankelijke partners.", [independent_parties]),
	"Convenant art. 8 lid 1",
) if {
	opening
	independent_parties >= proportionality.min_independent_parties
}

grounds contains lib.reason(
	"urgent-uitzondering-proportionaliteit",
	"Minder onafhankelijke partners dan de drempel, maar de hit is urgent.",
	"Convenant art. 8 lid 1",
) if {
	opening
	independent_parties < proportionality.min_independent_parties
	hit_is_urgent
}

# =============================================================================================
# transition: one stage forward, or closing; four eyes before the casusoverleg
# =============================================================================================

transitioning if action == "transition"

to_stage := field(input, "to_stage", "")

stage_index(s) := i if {
	some i, known in cases.stages
	known == s
}

next_stage := cases.stages[stage_index(stage) + 1]

# Informative for the gateway: where the case may go from here (the policy still decides).
next_stages := array.concat([following], [closed_stage | following != closed_stage]) if {
	stage != closed_stage
	following := next_stage
} else := []

# One reason per unknown stage, the current one or the requested one.
blockers contains lib.reason(
	"fase-onbekend",
	sprintf("Fase %v is geen fase van een casus (%s).", [s, concat(", ", cases.stages)]),
	"Convenant art. 19 lid 2",
) if {
	transitioning
	some s in [stage, to_stage]
	not stage_index(s)
}

transition_allowed if to_stage == next_stage

transition_allowed if to_stage == closed_stage

blockers contains lib.reason(
	"overgang-niet-toegestaan",
	sprintf("Van fase %q kan de casus alleen naar %s, niet naar %q: één fase tegelijk vooruit, of sluiten.", [stage, concat(" of ", next_stages), to_stage]),
	"Convenant art. 19 lid 2 en 3",
) if {
	transitioning
	stage != closed_stage
	stage_index(stage)
	stage_index(to_stage)
	not transition_allowed
}

grounds contains lib.reason(
	"fase-volgende",
	sprintf("De casus gaat van fase %q naar de volgende fase %q.", [stage, to_stage]),
	"Convenant art. 19 lid 2",
) if {
	transitioning
	stage != closed_stage
	to_stage == next_stage
}

closing_reason := field(input, "reason", null)

closing_reason_text := sprintf("reden: %v", [closing_reason]) if {
	closing_reason != null
} else := "geen reden opgegeven"

grounds contains lib.reason(
	"casus-vroegtijdig-gesloten",
	sprintf("De casus wordt in fase %q gesloten, vóór het einde van het ketenproces (%s).", [stage, closing_reason_text]),
	"Convenant art. 19 lid 3",
) if {
	transitioning
	to_stage == closed_stage
	next_stage != closed_stage
}

# --- Four eyes before the stages that need it (the casusoverleg) -------------------------------

required_approvals := {role | some role in data.covenant.release.required_approvals}

entering_guarded_stage if {
	transitioning
	to_stage in cases.stages_requiring_approvals
	to_stage != stage
}

# A recorded approval counts when its role is required and its party may still give it: the
# covenant may have changed since it was given.
valid_approvals := {[approval.role, approval.sub_alias] |
	some approval in approvals
	approval.role in required_approvals
	lib.party_holds_role(approval.party, approval.role)
	approver_party_allowed(approval.party, approval.role)
	is_string(approval.sub_alias)
	approval.sub_alias != ""
}

approved_roles := {role | some [role, _] in valid_approvals}

# Stricter than needed (a person may appear under one required role only), which the approve
# rules already guarantee for every approval they let through.
one_person_two_roles if {
	data.covenant.release.approvals_by_different_persons == true
	some [role, person] in valid_approvals
	some [other_role, other_person] in valid_approvals
	person == other_person
	role != other_role
}

blockers contains lib.reason(
	"goedkeuring-ontbreekt",
	sprintf("De casus gaat pas naar fase %q met de goedkeuring van een %s; die ontbreekt.", [to_stage, role]),
	"AVG art. 24; Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	entering_guarded_stage
	some role in required_approvals
	not role in approved_roles
}

blockers contains lib.reason(
	"goedkeuringen-niet-ingesteld",
	"In de convenantgegevens staan geen verplichte goedkeuringen (release.required_approvals); zonder goedkeuring gaat geen casus naar het casusoverleg.",
	"Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	entering_guarded_stage
	count(required_approvals) == 0
}

blockers contains lib.reason(
	"vier-ogen-zelfde-persoon",
	"Dezelfde persoon heeft twee van de verplichte goedkeuringen gegeven; elke goedkeuring moet van een andere persoon komen (vier ogen).",
	"AVG art. 24 en 32; Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	entering_guarded_stage
	one_person_two_roles
}

grounds contains lib.reason(
	"vier-ogen-akkoord",
	sprintf("Goedgekeurd door %s, door verschillende personen.", [concat(" en ", sort(required_approvals))]),
	"Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	entering_guarded_stage
	count(required_approvals) > 0
	count(required_approvals - approved_roles) == 0
	not one_person_two_roles
}

# =============================================================================================
# approve: a required role, by a person who holds it at a designated partner, in weging or
# casusoverleg; one person never gives two of the required approvals
# =============================================================================================

approving if action == "approve"

approval_role := field(field(input, "approval", {}), "role", "")

# Which partners' people may approve in a role: the party types named for the role, and (when
# `participants` is true) the case's participants; always a signatory (Convenant art. 14 lid 1).
approver_party_allowed(party, role) if {
	lib.is_signatory(party)
	approver_party_fits(party, role)
}

approver_party_fits(party, role) if party_type(party) in cases.approvers[role].party_types

approver_party_fits(party, role) if {
	cases.approvers[role].participants == true
	party in participants
}

blockers contains lib.reason(
	"fase-geen-goedkeuring",
	sprintf("Goedkeuren kan alleen in fase %s; de casus is in fase %q.", [concat(" of ", cases.approval_stages), stage]),
	"Convenant art. 19 lid 4",
) if {
	approving
	not stage in cases.approval_stages
}

blockers contains lib.reason(
	"rol-geen-goedkeuring",
	sprintf("Rol %v geeft geen goedkeuring die het convenant vraagt (%s).", [approval_role, concat(", ", sort(required_approvals))]),
	"Convenant art. 14 lid 1",
) if {
	approving
	not approval_role in required_approvals
}

blockers contains lib.reason(
	"verzoeker-rol-ontbreekt",
	sprintf("De aanvrager handelt niet in de rol %q, of zijn partner heeft die rol niet volgens het convenant.", [approval_role]),
	"Convenant art. 4; art. 14 lid 1",
) if {
	approving
	approval_role in required_approvals
	not requester_acts_as(approval_role)
}

blockers contains lib.reason(
	"goedkeurder-partij-niet-toegestaan",
	sprintf("Een %s van %v mag deze casus niet goedkeuren: alleen van een ondertekenaar die daarvoor is aangewezen (cases.approvers).", [approval_role, requester_party]),
	"Convenant art. 4 lid 4; art. 14 lid 1; art. 19 lid 4",
) if {
	approving
	approval_role in required_approvals
	not approver_party_allowed(requester_party, approval_role)
}

requester_alias_valid if {
	is_string(requester_alias)
	requester_alias != ""
}

blockers contains lib.reason(
	"goedkeurder-onbekend",
	"Niet bekend is welke persoon goedkeurt (requester.sub_alias); zonder persoon geen vier ogen.",
	"AVG art. 24; Convenant art. 14 lid 1",
) if {
	approving
	not requester_alias_valid
}

blockers contains lib.reason(
	"goedkeuring-al-gegeven",
	sprintf("Deze persoon heeft de casus al goedgekeurd als %s.", [approval_role]),
	"Convenant art. 14 lid 1",
) if {
	approving
	requester_alias_valid
	some approval in approvals
	approval.role == approval_role
	approval.sub_alias == requester_alias
}

blockers contains lib.reason(
	"vier-ogen-zelfde-persoon",
	sprintf("Deze persoon heeft de casus al goedgekeurd als %s en kan niet ook als %s goedkeuren (vier ogen).", [approval.role, approval_role]),
	"AVG art. 24 en 32; Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	approving
	data.covenant.release.approvals_by_different_persons == true
	requester_alias_valid
	approval_role in required_approvals
	some approval in approvals
	approval.role in required_approvals
	approval.role != approval_role
	approval.sub_alias == requester_alias
}

grounds contains lib.reason(
	"goedkeuring-toegestaan",
	sprintf("Goedkeuring als %s door een aangewezen partner.", [approval_role]),
	"Convenant art. 14 lid 1; art. 19 lid 4",
) if {
	approving
	allow
}

# =============================================================================================
# edit_file / view_file: the case director builds the case file from the hit's network view
# (which subjects and which signals the case is about), in the stages the covenant names, each
# change with a reason code from data.covenant.cases.case_file.reasons
# =============================================================================================

editing_file if action == "edit_file"

case_file := cases.case_file

file_change := field(input, "file", {})

file_reason := field(file_change, "reason", "")

file_change_count := sum([n |
	some key in ["add_subjects", "remove_subjects", "add_signals", "remove_signals"]
	n := field(file_change, key, 0)
	is_number(n)
])

blockers contains lib.reason(
	"dossier-fase",
	sprintf("Het casusdossier wordt gebouwd in fase %s; de casus is in fase %q.", [concat(" of ", case_file.edit_stages), stage]),
	"AVG art. 5 lid 1 sub c; Convenant art. 19 lid 1",
) if {
	editing_file
	stage != closed_stage
	not stage in case_file.edit_stages
}

blockers contains lib.reason(
	"dossier-reden-onbekend",
	sprintf("De reden is geen redencode voor het casusdossier; bekend zijn: %s.", [concat(", ", sort(object.keys(case_file.reasons)))]),
	"AVG art. 5 lid 2; Convenant art. 19 lid 1",
) if {
	editing_file
	not case_file.reasons[file_reason]
}

blockers contains lib.reason(
	"dossier-geen-wijziging",
	"Er is niets om aan het casusdossier toe te voegen of eruit te halen.",
	"Convenant art. 19 lid 1",
) if {
	editing_file
	file_change_count == 0
}

grounds contains lib.reason(
	"dossier-gewijzigd",
	sprintf("De casusregisseur wijzigt het casusdossier: %s.", [case_file.reasons[file_reason]]),
	"AVG art. 5 lid 1 sub c; Convenant art. 19 lid 1",
) if {
	editing_file
	allow
}

grounds contains lib.reason(
	"dossier-inzage-regie",
	"De casusregisseur ziet het netwerk van de hit om het casusdossier te bouwen (pseudoniem, zonder waarden).",
	"Convenant art. 19 lid 1",
) if {
	action == "view_file"
	allow
}

# A hit with an open case gets a second one only for a reason the covenant names.
open_cases := field(input, "open_cases", 0)

second_case_reason := field(input, "second_case_reason", null)

blockers contains lib.reason(
	"hit-heeft-open-casus",
	sprintf("Op deze hit loopt al een casus. Een tweede casus kan alleen met een reden uit het convenant (%s).", [concat(", ", sort(object.keys(case_file.second_case_reasons)))]),
	"AVG art. 5 lid 1 sub c; Convenant art. 19 lid 1",
) if {
	opening
	is_number(open_cases)
	open_cases > 0
	not case_file.second_case_reasons[second_case_reason]
}

grounds contains lib.reason(
	"tweede-casus",
	sprintf("Tweede casus op deze hit: %s.", [case_file.second_case_reasons[second_case_reason]]),
	"Convenant art. 19 lid 1",
) if {
	opening
	open_cases > 0
	case_file.second_case_reasons[second_case_reason]
}

# =============================================================================================
# add_signals: a participant adds its own signals to a case that is not closed
# =============================================================================================

adding if action == "add_signals"

added_signals := list_of(field(input, "signals", []))

blockers contains lib.reason(
	"partij-geen-deelnemer",
	sprintf("%v neemt niet deel aan deze casus en kan er geen signalen aan toevoegen.", [requester_party]),
	"AVG art. 5 lid 1 sub b; Convenant art. 19 lid 5",
) if {
	adding
	not requester_party in participants
}

blockers contains lib.reason(
	"partij-geen-ondertekenaar",
	sprintf("%v heeft het convenant niet ondertekend en levert geen signalen aan.", [requester_party]),
	"Convenant art. 3 lid 1",
) if {
	adding
	not lib.is_signatory(requester_party)
}

blockers contains lib.reason(
	"rol-mag-geen-signalen-toevoegen",
	sprintf("Signalen toevoegen kan alleen in de rol %s (die de partner volgens het convenant heeft).", [concat(" of ", cases.signal_roles)]),
	"Convenant art. 4 lid 1; art. 19 lid 5",
) if {
	adding
	not requester_may_add_signals
}

requester_may_add_signals if {
	some role in cases.signal_roles
	requester_acts_as(role)
}

blockers contains lib.reason(
	"geen-signalen",
	"Er zijn geen signalen om toe te voegen.",
	"Convenant art. 19 lid 5",
) if {
	adding
	count(added_signals) == 0
}

blockers contains lib.reason(
	"signaal-van-andere-partij",
	sprintf("%d signaal/signalen zijn niet van %v; een deelnemer voegt alleen eigen signalen toe.", [count(foreign), requester_party]),
	"AVG art. 5 lid 1 sub b; Convenant art. 19 lid 5",
) if {
	adding
	foreign := [signal | some signal in added_signals; field(signal, "party", "") != requester_party]
	count(foreign) > 0
}

blockers contains lib.reason(
	"buiten-reikwijdte-convenant",
	sprintf("%d signaal/signalen hebben een vorm buiten het convenant (%s) en horen niet in een casus.", [count(outside), concat(", ", data.covenant.forms.out_of_scope)]),
	"AVG art. 5 lid 1 sub b; Convenant art. 5 lid 4",
) if {
	adding
	outside := [signal | some signal in added_signals; lib.form_out_of_scope(field(signal, "form", ""))]
	count(outside) > 0
}

grounds contains lib.reason(
	"signalen-eigen-partij",
	sprintf("%v neemt deel aan de casus en voegt %d eigen signaal/signalen toe.", [requester_party, count(added_signals)]),
	"Convenant art. 19 lid 5",
) if {
	adding
	allow
}

# =============================================================================================
# assign_intervention / update_intervention
# =============================================================================================

assigning if action == "assign_intervention"

updating if action == "update_intervention"

intervention := field(input, "intervention", {})

intervention_party := field(intervention, "party", "")

intervention_kind := field(intervention, "kind", "")

intervention_status := field(intervention, "status", "")

previous_status := field(intervention, "previous_status", "")

interventions := cases.interventions

intervention_stages := {"assign_intervention": interventions.assign_stages, "update_intervention": interventions.update_stages}

blockers contains lib.reason(
	"fase-geen-interventie",
	sprintf("Deze stap met een interventie kan alleen in fase %s; de casus is in fase %q.", [concat(" of ", intervention_stages[action]), stage]),
	"Convenant art. 19 lid 6",
) if {
	intervention_stages[action]
	not stage in intervention_stages[action]
}

blockers contains lib.reason(
	"interventie-partij-geen-deelnemer",
	sprintf("%v neemt niet deel aan de casus; een interventie gaat alleen naar een deelnemer.", [intervention_party]),
	"Convenant art. 19 lid 6",
) if {
	intervention_stages[action]
	not intervention_party in participants
}

blockers contains lib.reason(
	"interventie-partij-geen-ondertekenaar",
	sprintf("%q heeft het convenant niet ondertekend en ontvangt geen interventie (alleen geanonimiseerde cijfers).", [intervention_party]),
	"Convenant art. 3 lid 2; art. 19 lid 6",
) if {
	intervention_stages[action]
	intervention_party in participants
	not lib.is_signatory(intervention_party)
}

blockers contains lib.reason(
	"interventie-soort-onbekend",
	sprintf("Soort interventie %v bestaat niet (%s).", [intervention_kind, concat(", ", sort(object.keys(interventions.kinds)))]),
	"Convenant art. 19 lid 6",
) if {
	assigning
	not interventions.kinds[intervention_kind]
}

blockers contains lib.reason(
	"interventie-soort-niet-voor-partij",
	sprintf("Een interventie van soort %q past niet bij partnertype %q (wel bij: %s).", [intervention_kind, assigned_type, concat(", ", kind.party_types)]),
	"Convenant art. 19 lid 6",
) if {
	assigning
	kind := interventions.kinds[intervention_kind]
	assigned_type := party_type(intervention_party)
	not assigned_type in kind.party_types
}

# A new intervention starts in the initial status; an update follows status_transitions.
allowed_statuses := {interventions.initial_status} if {
	assigning
} else := {s | some s in interventions.status_transitions[previous_status]} if {
	updating
}

blockers contains lib.reason(
	"interventie-status-overgang-ongeldig",
	sprintf("Status %v is hier niet mogelijk (vorige status: %v; mogelijk: %s).", [intervention_status, previous_status, concat(", ", sort(allowed_statuses))]),
	"Convenant art. 19 lid 6",
) if {
	intervention_stages[action]
	not intervention_status in allowed_statuses
}

requester_may_update if requester_is_director

requester_may_update if {
	requester_party == intervention_party
	some role in interventions.update_roles
	requester_acts_as(role)
}

blockers contains lib.reason(
	"verzoeker-niet-uitvoerder",
	"Alleen de partner aan wie de interventie is toegewezen, of de casusregisseur, werkt de status bij.",
	"Convenant art. 19 lid 6",
) if {
	updating
	not requester_may_update
}

grounds contains lib.reason(
	"interventie-toegewezen",
	sprintf("Interventie %q (%s) toegewezen aan deelnemer %q.", [intervention_kind, interventions.kinds[intervention_kind].name, intervention_party]),
	"Convenant art. 19 lid 6",
) if {
	assigning
	allow
}

grounds contains lib.reason(
	"interventie-status-bijgewerkt",
	sprintf("Status van de interventie van %q: van %q naar %q.", [intervention_party, previous_status, intervention_status]),
	"Convenant art. 19 lid 6",
) if {
	updating
	allow
}
