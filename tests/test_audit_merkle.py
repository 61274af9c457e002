"""The audit Merkle tree against RFC 9162's own definitions and the CT reference vectors.

The oracle below is the RFC's recursive definitions written out literally (MTH, PATH, PROOF over
a list of leaf hashes); the gateway computes the same from stored perfect subtrees. Both must
give the reference values, agree on every size, and the RFC's verifiers must accept every proof
and refuse a changed one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit import merkle

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962_merkle.json").read_text())


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = k_of(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = k_of(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = k_of(len(d))
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True) if 0 < m < len(d) else []


class Tree:
    """The gateway's way: append leaves, keep the completed nodes, read them back."""

    def __init__(self) -> None:
        self.nodes: dict[merkle.Node, bytes] = {}
        self.size = 0

    def append(self, leaves: list[bytes]) -> None:
        frontier = {n: self.nodes[n] for n in merkle.range_nodes(0, self.size)}
        for i, h in enumerate(leaves):
            self.nodes[(0, self.size + i)] = h
        for level, index, h in merkle.completed_nodes(self.size, leaves, frontier):
            self.nodes[(level, index)] = h
        self.size += len(leaves)

    def read(self, wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        return {n: self.nodes[n] for n in wanted}


def built(leaves: list[bytes], chunks: list[int] | None = None) -> Tree:
    tree, done = Tree(), 0
    for size in chunks or [len(leaves)]:
        tree.append(leaves[done : done + size])
        done += size
    tree.append(leaves[done:])
    return tree


CT_LEAVES = [leaf(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]


def test_the_reference_tree_heads() -> None:
    for size, expected in enumerate(VECTORS["roots_hex"]):
        tree = built(CT_LEAVES[:size], [1] * size)  # one leaf per append, as the log grows
        assert merkle.root(size, tree.read).hex() == expected
        assert mth(CT_LEAVES[:size]).hex() == expected


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: f"{v['index']}of{v['size']}")
def test_the_reference_audit_paths(vector: dict) -> None:
    tree = built(CT_LEAVES)
    got = merkle.inclusion_proof(vector["index"], vector["size"], tree.read)
    assert [h.hex() for h in got] == vector["proof_hex"]
    root = bytes.fromhex(VECTORS["roots_hex"][vector["size"]])
    assert merkle.verify_inclusion(
        CT_LEAVES[vector["index"]], vector["index"], vector["size"], got, root
    )


@pytest.mark.parametrize("vector", VECTORS["consistency"], ids=lambda v: f"{v['old']}to{v['new']}")
def test_the_reference_consistency_proofs(vector: dict) -> None:
    tree = built(CT_LEAVES)
    got = merkle.consistency_proof(vector["old"], vector["new"], tree.read)
    assert [h.hex() for h in got] == vector["proof_hex"]
    roots = VECTORS["roots_hex"]
    assert merkle.verify_consistency(
        vector["old"],
        vector["new"],
        bytes.fromhex(roots[vector["old"]]),
        bytes.fromhex(roots[vector["new"]]),
        got,
    )


LEAVES = [leaf(i.to_bytes(4, "big")) for i in range(70)]


def test_every_size_agrees_with_the_rfc_definitions_and_every_proof_verifies() -> None:
    tree = built(LEAVES, [1, 2, 3, 5, 8, 13])  # appends of mixed sizes
    roots = [mth(LEAVES[:n]) for n in range(len(LEAVES) + 1)]
    for n in range(len(LEAVES) + 1):
        assert merkle.root(n, tree.read) == roots[n]
        for m in range(n):
            p = merkle.inclusion_proof(m, n, tree.read)
            assert p == path(m, LEAVES[:n])
            assert merkle.verify_inclusion(LEAVES[m], m, n, p, roots[n])
        for m in range(n + 1):
            c = merkle.consistency_proof(m, n, tree.read)
            assert c == proof(m, LEAVES[:n])
            assert merkle.verify_consistency(m, n, roots[m], roots[n], c)


def flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_changed_proof_root_leaf_or_size_is_refused(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=2, max_value=len(LEAVES)))
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    tree = built(LEAVES[:n])
    root = merkle.root(n, tree.read)
    p = merkle.inclusion_proof(m, n, tree.read)
    assert merkle.verify_inclusion(LEAVES[m], m, n, p, root)
    i = data.draw(st.integers(min_value=0, max_value=len(p) - 1))
    assert not merkle.verify_inclusion(LEAVES[m], m, n, p[:i] + [flip(p[i])] + p[i + 1 :], root)
    assert not merkle.verify_inclusion(LEAVES[m], m, n, p[:-1], root)
    assert not merkle.verify_inclusion(LEAVES[m], m, n, p + [root], root)
    assert not merkle.verify_inclusion(flip(LEAVES[m]), m, n, p, root)
    assert not merkle.verify_inclusion(LEAVES[m], m, n, p, flip(root))
    assert not merkle.verify_inclusion(LEAVES[m], n, n, p, root)
    # The same path claimed for a tree size whose path is longer: the RFC's final "sn is 0"
    # check. (A size with a path of the same length can have the same root: the signed
    # checkpoint, not the proof, binds a root to its size.)
    for other in range(n + 1, 4 * n):
        if len(merkle.inclusion_ranges(m, other)) > len(p):
            assert not merkle.verify_inclusion(LEAVES[m], m, other, p, root)

    old = data.draw(st.integers(min_value=1, max_value=n - 1))
    c = merkle.consistency_proof(old, n, tree.read)
    old_root = merkle.root(old, tree.read)
    assert merkle.verify_consistency(old, n, old_root, root, c)
    j = data.draw(st.integers(min_value=0, max_value=len(c) - 1))
    assert not merkle.verify_consistency(old, n, old_root, root, c[:j] + [flip(c[j])] + c[j + 1 :])
    assert not merkle.verify_consistency(old, n, flip(old_root), root, c)
    assert not merkle.verify_consistency(old, n, old_root, flip(root), c)
    assert not merkle.verify_consistency(old, n, old_root, root, c[:-1])
    assert not merkle.verify_consistency(n, old, root, old_root, c)


def test_ranges_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(8, 8)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(5, 3)
    with pytest.raises(ValueError):
        merkle.range_nodes(3, 7)  # not a subtree the RFC recursion visits
