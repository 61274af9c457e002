"""The audit log's Merkle tree, exactly as RFC 9162 §2.1 defines it. No web, no database.

Leaves are the entries' leaf hashes (``SHA-256(0x00 || entry)``, :func:`gateway.audit.chain.
leaf_hash`); an interior node is ``SHA-256(0x01 || left || right)``; the tree over n leaves splits
at the largest power of two below n (§2.1.1). Proofs are the RFC's PATH (§2.1.3.1) and PROOF
(§2.1.4.1), and the verifiers are the RFC's algorithms (§2.1.3.2, §2.1.4.2), so any RFC 9162 /
RFC 6962 client can check what the gateway hands out; ``tests/vectors/rfc6962_merkle.json``
holds the Certificate Transparency reference values they are tested against.

The log is large and only grows, so nothing here walks all leaves. Every hash the RFC's
recursion needs is the fold of a few *perfect* subtrees: ``(level, index)`` is the complete
subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``. Those never change once
complete, so the store keeps them (:func:`completed_nodes` says which an append completes), and
a root or proof is O(log n) stored hashes: first ask which nodes a proof needs (``*_ranges`` and
:func:`range_nodes`, pure arithmetic), read them in one query, then fold (:func:`fold`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: A perfect subtree: (level, index), covering leaves [index << level, (index + 1) << level).
Node = tuple[int, int]
#: A range of leaves [start, end) whose RFC 9162 hash (MTH) a proof needs.
Range = tuple[int, int]


_INDEX_BITS = 48


def node_key(level: int, index: int) -> int:
    """One integer per node, for storage: level in the high bits, index (< 2**48) below."""
    return (level << _INDEX_BITS) | index


def key_node(key: int) -> Node:
    return key >> _INDEX_BITS, key & ((1 << _INDEX_BITS) - 1)


def level_keys(level: int) -> tuple[int, int]:
    """The first and last key of a level."""
    return node_key(level, 0), node_key(level + 1, 0) - 1


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect subtrees, largest first, whose fold is MTH(D[start:end]).

    Valid for every range the RFC's recursion visits (its start is a multiple of the largest
    power of two that fits in it): MTH(D[s:e]) = HASH(0x01 || MTH(D[s:s+k]) || MTH(D[s+k:e]))
    with D[s:s+k] perfect, recursively on the right.
    """
    nodes: list[Node] = []
    while start < end:
        size = end - start
        k = size if size & (size - 1) == 0 else _split(size)
        level = k.bit_length() - 1
        if start % k:
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")
        nodes.append((level, start >> level))
        start += k
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from the hashes of its :func:`range_nodes`, in that order."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root_ranges(size: int) -> list[Range]:
    return [(0, size)] if size else []


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(index, D[size]) (RFC 9162 §2.1.3.1) as ranges, the leaf's sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    outer: list[Range] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            outer.append((start + k, end))
            end = start + k
        else:
            outer.append((start, start + k))
            m -= k
            start += k
    return outer[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """PROOF(old, D[new]) (RFC 9162 §2.1.4.1) as ranges; empty when old is 0 or equals new."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    outer: list[Range] = []
    start, end, m, whole = 0, new, old, True
    while end - start != m:
        k = _split(end - start)
        if m <= k:
            outer.append((start + k, end))
            end = start + k
        else:
            outer.append((start, start + k))
            m -= k
            start += k
            whole = False
    head: list[Range] = [] if whole else [(start, end)]
    return head + outer[::-1]


def nodes_of(ranges: Sequence[Range]) -> set[Node]:
    """Every stored node the hashes of these ranges need."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def hashes_of(ranges: Sequence[Range], stored: Mapping[Node, bytes]) -> list[bytes]:
    """The MTH of each range, from the stored perfect subtrees."""
    return [fold([stored[node] for node in range_nodes(start, end)]) for start, end in ranges]


def completed_nodes(
    first_index: int, leaves: Sequence[bytes], frontier: Mapping[Node, bytes]
) -> list[tuple[int, int, bytes]]:
    """The interior nodes (level >= 1) that appending ``leaves`` at ``first_index`` completes.

    ``frontier``: the perfect subtrees of the tree before the append (``range_nodes(0,
    first_index)``), the only earlier hashes a new node can need.
    """
    known: dict[Node, bytes] = dict(frontier)
    completed: list[tuple[int, int, bytes]] = []
    for offset, leaf in enumerate(leaves):
        level, index, current = 0, first_index + offset, leaf
        known[(0, index)] = leaf
        while index & 1:
            current = node_hash(known[(level, index - 1)], current)
            level, index = level + 1, index >> 1
            known[(level, index)] = current
            completed.append((level, index, current))
    return completed


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, step by step; sizes 0 and equal sizes as the RFC implies."""
    if not 0 <= old <= new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


NodeReader = Callable[[set[Node]], Mapping[Node, bytes]]


def root(size: int, read: NodeReader) -> bytes:
    ranges = root_ranges(size)
    return (hashes_of(ranges, read(nodes_of(ranges))) or [EMPTY_ROOT])[0]


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return hashes_of(ranges, read(nodes_of(ranges)))


def consistency_proof(old: int, new: int, read: NodeReader) -> list[bytes]:
    ranges = consistency_ranges(old, new)
    return hashes_of(ranges, read(nodes_of(ranges)))
