"""The case file: which people (subjects) and which signals a case is about.

Linkage joins whatever shares a key; a case is about people. In ``dossiervorming`` the case
director looks at the network of the case's hit (:func:`view_file_network`) and builds the case
file from it (:func:`edit_file`): subjects and signals, each added or removed with a reason code
from the covenant. A release passes on the case file's signals only, and of those only the case
file's subjects (:mod:`gateway.release.service`).

Nodes and edges carry handles that stay the same within one case and mean nothing outside it
(:mod:`gateway.crypto.handles`); a pseudonym is never shown. The view marks what hangs on the
rest of the network only through a hub or through one single key, so the director sees what not
to take along (a shelter's address, a shared phone number).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.cases import steps
from gateway.cases.model import CaseAction, CaseState
from gateway.crypto.handles import signal_handle, subject_handle
from gateway.errors import FieldError, InvalidInput, NotFound
from gateway.hits.network import MemberSignal, network_view
from gateway.jsontypes import JsonObject
from gateway.linkage.rules import LinkRules, link_rules
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.service.work import Work
from gateway.storage import cases as store
from gateway.storage import hits as hit_store


@dataclass(frozen=True, slots=True)
class _Network:
    """The members the case director chooses from, with the case's handles for them."""

    members: list[MemberSignal]
    hubs: dict[bytes, str]
    subjects: dict[str, tuple[bytes, str]]  # handle -> (pseudonym, kind)
    signals: dict[str, int]  # handle -> signal id
    file_subjects: dict[bytes, str]
    file_signals: set[int]


def _network(work: Work, case_id: str) -> _Network:
    connection = work.connection
    key = store.handle_key(connection, case_id)
    if key is None:
        raise NotFound(steps.NO_CASE)
    cluster = store.hit_cluster_of_case(connection, case_id)
    members = hit_store.cluster_members(connection, cluster) if cluster is not None else []
    file_signals = store.file_signal_ids(connection, case_id)
    outside = file_signals - {m.signal_id for m in members}
    members += hit_store.signal_members(connection, sorted(outside))
    file_subjects = store.file_subjects(connection, case_id)
    pseudonyms = {p: kind for m in members for p, kind, _ in m.subjects} | file_subjects
    return _Network(
        members=members,
        hubs=hit_store.hub_ids(connection, list(pseudonyms)),
        subjects={subject_handle(key, p): (p, kind) for p, kind in pseudonyms.items()},
        signals={signal_handle(key, m.signal_id): m.signal_id for m in members},
        file_subjects=file_subjects,
        file_signals=file_signals,
    )


def joined_by(
    members: Sequence[MemberSignal], hubs: dict[bytes, str], rules: LinkRules
) -> dict[int, str]:
    """How each signal hangs on the rest: ``meerdere-sleutels``, ``een-sleutel:<kind>`` (one
    linking key only, which may be a weak one), ``alleen-via-knooppunt`` (it shares a hub and
    nothing else) or ``los`` (nothing shared: a signal a partner added itself)."""
    carriers = Counter(p for m in members for p in {p for p, _, _ in m.subjects})
    found: dict[int, str] = {}
    for member in members:
        shared = {
            (p, kind)
            for p, kind, _ in member.subjects
            if carriers[p] > 1 and rules.links(kind) and p not in hubs
        }
        via_hub = any(carriers[p] > 1 and p in hubs for p, _, _ in member.subjects)
        if len(shared) > 1:
            found[member.signal_id] = "meerdere-sleutels"
        elif len(shared) == 1:
            ((_, kind),) = shared
            found[member.signal_id] = f"een-sleutel:{kind}"
        else:
            found[member.signal_id] = "alleen-via-knooppunt" if via_hub else "los"
    return found


def _view(rt: Runtime, network: _Network) -> JsonObject:
    node_ids = {p: handle for handle, (p, _) in network.subjects.items()}
    edge_ids = {signal_id: handle for handle, signal_id in network.signals.items()}
    view = network_view(
        network.members,
        party_types=rt.party_types,
        hubs=network.hubs,
        node_ids=node_ids,
        edge_ids=edge_ids,
    )
    in_file_nodes = {node_ids[p] for p in network.file_subjects if p in node_ids}
    joins = joined_by(network.members, network.hubs, link_rules(rt.policy.data))
    for node in view["nodes"]:
        node["in_file"] = node["id"] in in_file_nodes
    for edge in view["edges"]:
        signal_id = network.signals[edge["id"]]
        edge["in_file"] = signal_id in network.file_signals
        edge["joined_by"] = joins[signal_id]
    view["file"] = {"subjects": len(network.file_subjects), "signals": len(network.file_signals)}
    return view


@dataclass(frozen=True, slots=True)
class CaseFileView:
    case: str
    view: JsonObject
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {"case": self.case, **self.view, "policy_revision": self.policy_revision}


def view_file_network(rt: Runtime, *, actor: Actor, case_id: str) -> CaseFileView:
    """The case director's network of the case: the hit's signals and the case file's, with the
    case's handles, what is in the file, and how each signal hangs on the rest."""
    case = steps.load(rt, case_id)
    asked = steps.ask(rt, actor, CaseAction.VIEW_FILE, case)
    with rt.unit_of_work.write() as work:
        network = _network(work, case_id)
        view = _view(rt, network)
        work.record(steps.POINT, asked.document, asked.decision)
        steps.audit_case(
            work, actor, "case.file_viewed", case_id, dict(view["file"]), asked.decision.revision
        )
    return CaseFileView(case_id, view, asked.decision.revision)


@dataclass(frozen=True, slots=True)
class FileChanged:
    reason: str
    subjects_added: int
    subjects_removed: int
    signals_added: int
    signals_removed: int

    def as_dict(self) -> JsonObject:  # the event's and audit entry's detail
        return {
            "reason": self.reason,
            "subjects_added": self.subjects_added,
            "subjects_removed": self.subjects_removed,
            "signals_added": self.signals_added,
            "signals_removed": self.signals_removed,
        }


def _resolve(handles: Sequence[str], known: dict[str, object], where: str) -> list[FieldError]:
    return [
        FieldError(
            f"{where}[{i}]", "geen knoop of signaal met dit kenmerk in deze casus", "kenmerk"
        )
        for i, handle in enumerate(handles)
        if handle not in known
    ]


def edit_file(
    rt: Runtime,
    *,
    actor: Actor,
    case_id: str,
    reason: str,
    add_subjects: Sequence[str] = (),
    remove_subjects: Sequence[str] = (),
    add_signals: Sequence[str] = (),
    remove_signals: Sequence[str] = (),
    with_signals: bool = True,
) -> FileChanged:
    """Add or remove subjects and signals (by their handles in this case) with a reason code.
    ``with_signals``: a subject added brings the signals of the network that carry it."""
    case = steps.load(rt, case_id)
    with rt.unit_of_work.read() as work:
        network = _network(work, case_id)
    subjects: dict[str, object] = dict(network.subjects)
    signals: dict[str, object] = dict(network.signals)
    errors = [
        *_resolve(add_subjects, subjects, "add_subjects"),
        *_resolve(remove_subjects, subjects, "remove_subjects"),
        *_resolve(add_signals, signals, "add_signals"),
        *_resolve(remove_signals, signals, "remove_signals"),
    ]
    if errors:
        raise InvalidInput(f"{len(errors)} onbekend(e) kenmerk(en)", errors)
    adding = [network.subjects[h] for h in add_subjects]
    removing = [network.subjects[h][0] for h in remove_subjects]
    signal_ids = [network.signals[h] for h in add_signals]
    if with_signals:
        wanted = {p for p, _ in adding}
        signal_ids += [
            m.signal_id for m in network.members if any(p in wanted for p, _, _ in m.subjects)
        ]
    dropping = [network.signals[h] for h in remove_signals]
    new_subjects = {p for p, _ in adding} - set(network.file_subjects)
    new_signals = set(signal_ids) - network.file_signals - set(dropping)
    step: JsonObject = {
        "file": {
            "reason": reason,
            "add_subjects": len(new_subjects),
            "remove_subjects": len(set(removing) & set(network.file_subjects)),
            "add_signals": len(new_signals),
            "remove_signals": len(set(dropping) & network.file_signals),
            "subject_kinds": sorted({kind for _, kind in adding}),
        }
    }

    def effect(work: Work, current: CaseState) -> FileChanged:
        connection = work.connection
        removed_subjects = store.remove_subjects(connection, case_id, removing)
        removed_signals = store.remove_signals(connection, case_id, dropping)
        added_subjects = store.add_subjects(
            connection, case_id, adding, added_by=actor.party.id, reason=reason, now=work.now
        )
        added_signals = store.add_signals(
            connection,
            case_id,
            sorted(set(signal_ids) - set(dropping)),
            added_by=actor.party.id,
            now=work.now,
            reason=reason,
        )
        return FileChanged(reason, added_subjects, removed_subjects, added_signals, removed_signals)

    return steps.take_step(rt, actor, case, CaseAction.EDIT_FILE, effect, step)
