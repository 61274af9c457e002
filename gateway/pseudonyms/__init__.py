"""Pseudonyms: the OPRF key holder and its client side.

``oprf`` implements RFC 9497 OPRF(ristretto255, SHA-512), mode 0x00. Adapters blind their
identifiers and finalize the answers; the key holder evaluates blinded elements only, so it never
sees an identifier and an adapter never holds a key.
"""
