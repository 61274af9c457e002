"""The RIEC's pseudonymised network view of a hit.

Nodes are the subjects of the hit's signals: their kind and the roles they play, never a value
or a pseudonym. Edges are the signals: form, indicators, party type, month. Node and edge ids are
drawn afresh for every view, so two views cannot be joined on them, and nothing in the view
orders by a pseudonym. A hub (a pseudonym that stopped linking) is shown as such, with its
opaque hub id, so the analyst knows why two parts of a picture are not connected through it.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from gateway.jsontypes import JsonObject


@dataclass(frozen=True, slots=True)
class MemberSignal:
    """A signal of a hit's cluster with its subjects; in memory only, while a view is built."""

    signal_id: int
    party: str
    form: str
    indicators: tuple[str, ...]
    certainty: str
    observed_at: datetime
    subjects: tuple[tuple[bytes, str, str], ...]
    """(pseudonym, kind, role): the pseudonym joins nodes and is never shown."""


class _Node(TypedDict):
    """A node while the view is built; its roles become a sorted list in the view."""

    id: str
    kind: str
    roles: set[str]
    signals: int


def network_view(
    members: Sequence[MemberSignal],
    *,
    party_types: Mapping[str, str],
    hubs: Mapping[bytes, str],
    rng: random.Random | None = None,
    node_ids: Mapping[bytes, str] | None = None,
    edge_ids: Mapping[int, str] | None = None,
    node_marks: Mapping[bytes, JsonObject] | None = None,
    edge_marks: Mapping[int, JsonObject] | None = None,
) -> JsonObject:
    """``node_ids``/``edge_ids``: stable handles (a case's, gateway.crypto.handles) instead of
    ids drawn for this view alone. ``node_marks``/``edge_marks``: the embargo marker of a
    subject under embargo and of a signal an embargo holds (gateway.embargoes.holds.marker)."""
    rng = rng or random.Random(secrets.randbits(64))
    pseudonyms = sorted({p for m in members for p, _, _ in m.subjects})
    rng.shuffle(pseudonyms)
    node_id = (
        dict(node_ids)
        if node_ids is not None
        else {p: f"n{index + 1}" for index, p in enumerate(pseudonyms)}
    )
    nodes: dict[bytes, _Node] = {}
    edges: list[JsonObject] = []
    ordered = sorted(
        members,
        key=lambda m: (
            m.observed_at.strftime("%Y-%m"),
            edge_ids[m.signal_id] if edge_ids is not None else str(rng.random()),
        ),
    )
    for index, member in enumerate(ordered):
        links = []
        for pseudonym, kind, role in member.subjects:
            node = nodes.setdefault(
                pseudonym,
                {"id": node_id[pseudonym], "kind": kind, "roles": set(), "signals": 0},
            )
            node["roles"].add(role)
            node["signals"] += 1
            links.append({"node": node_id[pseudonym], "role": role})
        edge: JsonObject = {
            "id": edge_ids[member.signal_id] if edge_ids is not None else f"s{index + 1}",
            "form": member.form,
            "indicators": sorted(member.indicators),
            "certainty": member.certainty,
            "party_type": party_types.get(member.party, "onbekend"),
            "month": member.observed_at.strftime("%Y-%m"),
            "subjects": sorted(links, key=lambda link: (link["node"], link["role"])),
        }
        if edge_marks is not None and member.signal_id in edge_marks:
            edge["embargo"] = edge_marks[member.signal_id]
        edges.append(edge)
    view_nodes: list[JsonObject] = []
    for pseudonym, node in nodes.items():
        entry: JsonObject = {**node, "roles": sorted(node["roles"]), "hub": pseudonym in hubs}
        if pseudonym in hubs:
            entry["hub_id"] = hubs[pseudonym]
        if node_marks is not None and pseudonym in node_marks:
            entry["embargo"] = node_marks[pseudonym]
        view_nodes.append(entry)
    view_nodes.sort(key=lambda n: str(n["id"]) if node_ids is not None else int(str(n["id"])[1:]))
    return {
        "nodes": view_nodes,
        "edges": edges,
        "counts": {
            "signals": len(edges),
            "subjects": len(view_nodes),
            "parties": len({m.party for m in members}),
            "hubs": sum(1 for n in view_nodes if n["hub"]),
        },
    }
