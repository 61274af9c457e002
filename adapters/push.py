"""The adapter pipeline: validate → normalise → pseudonymise (OPRF) → seal (HPKE) → sign → push.

Two passes over the file, both streaming: the first validates every record and normalises every
identifier, and refuses the push if anything is wrong (so a bad file is never half-pushed); the
second sends batches. Identifiers in clear exist only in this process, inside the partner's
network: the gateway receives pseudonyms, sealed blobs and metadata.

Resumable: after each acknowledged batch the state file records how many batches are done, for
this exact file (by hash). Sending a batch again is harmless anyway: the gateway is idempotent on
(party, ref, version), and the sealed blob is not part of a signal's content fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from adapters.base import CanonicalSignal, LineError, PartnerAdapter
from adapters.normalise import IdentifierError, normalise
from gateway import sealing
from gateway.auth.tokens import mint_call_token
from gateway.crypto import b64u, unb64u
from gateway.jsontypes import JsonObject
from gateway.parties.keys import SigningKey
from gateway.pseudonyms import oprf

RETRY_STATUSES = frozenset({429, 502, 503, 504})


class PushRefused(Exception):
    """The gateway refused a request for a reason retrying will not fix."""

    def __init__(self, status: int, problem: JsonObject) -> None:
        super().__init__(f"{status} {problem.get('type', '')}: {problem.get('detail', '')}")
        self.status = status
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Prepared:
    """A record with the OPRF input of each of its subjects."""

    line: int
    signal: CanonicalSignal
    inputs: tuple[bytes, ...]


def prepare(adapter: PartnerAdapter, path: Path) -> Iterator[Prepared | LineError]:
    """Read and normalise, streaming; an invalid identifier becomes a ``LineError``."""
    for item in adapter.read(path):
        if isinstance(item, LineError):
            yield item
            continue
        inputs: list[bytes] = []
        failed = False
        for index, subject in enumerate(item.signal.subjects):
            try:
                inputs.append(normalise(subject.kind, subject.value))
            except IdentifierError as exc:
                failed = True
                yield LineError(item.line, f"subjects[{index}].{subject.kind.value}", exc.reason)
        if not failed:
            yield Prepared(item.line, item.signal, tuple(inputs))


@dataclass
class CheckReport:
    records: int = 0
    errors: list[LineError] = field(default_factory=list)


def check(adapter: PartnerAdapter, path: Path) -> CheckReport:
    """The first pass: every problem in the file, nothing sent."""
    report = CheckReport()
    seen: set[tuple[str, int]] = set()
    for item in prepare(adapter, path):
        if isinstance(item, LineError):
            report.errors.append(item)
            continue
        key = (item.signal.ref, item.signal.version)
        if key in seen:
            report.errors.append(
                LineError(item.line, "ref", "ref en versie komen dubbel voor in het bestand")
            )
        seen.add(key)
        report.records += 1
    return report


def identifying_payload(signal: CanonicalSignal) -> bytes:
    """The plaintext that gets sealed: subjects in clear (as exported) and free-text details."""
    document = {
        "v": 1,
        "subjects": [s.model_dump(mode="json") for s in signal.subjects],
        "details": signal.details,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class GatewayClient:
    """Signed calls to one gateway as one party, with retries on transient failures."""

    def __init__(
        self,
        *,
        base_url: str,
        key: SigningKey,
        subject: str = "adapter",
        attempts: int = 6,
        backoff_s: float = 0.5,
        timeout_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._key = key
        self._subject = subject
        self._attempts = attempts
        self._backoff = backoff_s
        self._sleep = sleep
        self.retries = 0
        self.info = self._get_info()

    def _get_info(self) -> JsonObject:
        return self._send("GET", "/v1/gateway", b"", signed=False)

    def close(self) -> None:
        self._http.close()

    def _send(
        self, method: str, target: str, body: bytes, *, signed: bool = True
    ) -> JsonObject:
        for attempt in range(1, self._attempts + 1):
            headers = {"Content-Type": "application/json"} if body else {}
            if signed:
                token = mint_call_token(
                    key=self._key,
                    subject=self._subject,
                    roles=["adapter"],
                    audience=self.info["gateway_id"],
                    method=method,
                    target=target,
                    body=body,
                    now=datetime.now(UTC),
                )
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._http.request(method, target, content=body, headers=headers)
            except httpx.TransportError:
                if attempt == self._attempts:
                    raise
                self._wait(attempt, None)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self._attempts:
                self._wait(attempt, response.headers.get("retry-after"))
                continue
            if response.status_code >= 400:
                try:
                    problem = response.json()
                except ValueError:
                    problem = {"detail": response.text[:200]}
                raise PushRefused(response.status_code, problem)
            answer: JsonObject = response.json()
            return answer
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        self.retries += 1
        delay = self._backoff * 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        self._sleep(min(delay, 60.0))

    def evaluate(self, elements: list[bytes]) -> list[bytes]:
        domain = self.info["pseudonym_domains"][0]
        limit = int(self.info["limits"]["max_oprf_batch"])
        evaluated: list[bytes] = []
        for start in range(0, len(elements), limit):
            chunk = [b64u(e) for e in elements[start : start + limit]]
            body = json.dumps({"domain": domain, "elements": chunk}).encode()
            answer = self._send("POST", "/v1/pseudonyms/evaluate", body)
            evaluated.extend(unb64u(e) for e in answer["evaluated"])
        return evaluated

    def submit(self, signals: list[JsonObject]) -> JsonObject:
        body = json.dumps({"signals": signals}, separators=(",", ":")).encode()
        return self._send("POST", "/v1/signals", body)


class PseudonymCache:
    """Bounded memory of inputs already pseudonymised in this run (saves OPRF budget)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._items: OrderedDict[bytes, bytes] = OrderedDict()
        self._capacity = capacity

    def resolve(self, client: GatewayClient, inputs: set[bytes]) -> dict[bytes, bytes]:
        missing = [i for i in inputs if i not in self._items]
        if missing:
            blinds = [oprf.blind(i) for i in missing]
            evaluated = client.evaluate([blinded for _, blinded in blinds])
            for value, (blind, _), element in zip(missing, blinds, evaluated, strict=True):
                self._items[value] = oprf.finalize(value, blind, element)
        result = {}
        for value in inputs:
            self._items.move_to_end(value)
            result[value] = self._items[value]
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)
        return result


def to_api(
    item: Prepared, pseudonyms: dict[bytes, bytes], *, party: str, release_key: JsonObject
) -> JsonObject:
    """The wire form of one signal: pseudonyms and a sealed blob instead of identifiers."""
    signal = item.signal
    sealed = sealing.seal(
        identifying_payload(signal),
        recipient=release_key,
        context=sealing.SealContext(party=party, ref=signal.ref, version=signal.version),
    )
    document: JsonObject = {
        "ref": signal.ref,
        "version": signal.version,
        "observed_at": signal.observed_at.isoformat(),
        "municipality": signal.municipality,
        "form": signal.form.value,
        "indicators": signal.indicators,
        "data_classes": [c.value for c in signal.data_classes],
        "certainty": signal.certainty.value,
        "flags": {
            "minor": signal.minor,
            "consent": signal.consent,
            "embargo_until": signal.embargo_until.isoformat() if signal.embargo_until else None,
            "source_protected": signal.source_protected,
        },
        "subjects": [
            {"kind": s.kind.value, "role": s.role.value, "pseudonym": b64u(pseudonyms[value])}
            for s, value in zip(signal.subjects, item.inputs, strict=True)
        ],
        "sealed": b64u(sealed),
    }
    if signal.supersedes is not None:
        document["supersedes"] = signal.supersedes
    return document


@dataclass
class PushReport:
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    batches: int = 0
    skipped_batches: int = 0
    retries: int = 0
    elapsed_s: float = 0.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def push(
    *,
    client: GatewayClient,
    adapter: PartnerAdapter,
    path: Path,
    party: str,
    batch_size: int = 500,
    state_path: Path | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> PushReport:
    """The second pass: pseudonymise, seal and submit in batches. Call ``check`` first."""
    started = time.perf_counter()
    report = PushReport()
    fingerprint = file_sha256(path)
    state = _load_state(state_path, fingerprint, party, adapter.format, batch_size)
    release_key = client.info["release_key"]
    cache = PseudonymCache()
    batch: list[Prepared] = []

    def flush() -> None:
        index = report.batches + report.skipped_batches
        if index < state["done"]:
            report.skipped_batches += 1
        else:
            pseudonyms = cache.resolve(client, {i for item in batch for i in item.inputs})
            answer = client.submit(
                [to_api(item, pseudonyms, party=party, release_key=release_key) for item in batch]
            )
            report.stored += answer["stored"]
            report.duplicates += answer["duplicates"]
            report.batches += 1
            state["done"] = index + 1
            _save_state(state_path, state)
        if on_batch:
            on_batch(len(batch))
        batch.clear()

    for item in prepare(adapter, path):
        if isinstance(item, LineError):
            raise ValueError(f"{item}: run `--check` first; nothing further was sent")
        report.records += 1
        batch.append(item)
        if len(batch) == batch_size:
            flush()
    if batch:
        flush()
    report.retries = client.retries
    report.elapsed_s = time.perf_counter() - started
    return report


def _load_state(
    path: Path | None, fingerprint: str, party: str, fmt: str, batch_size: int
) -> JsonObject:
    fresh = {
        "v": 1,
        "file_sha256": fingerprint,
        "party": party,
        "format": fmt,
        "batch_size": batch_size,
        "done": 0,
    }
    if path is None or not path.exists():
        return fresh
    try:
        saved = json.loads(path.read_text("utf-8"))
    except ValueError:
        return fresh
    same = all(saved.get(k) == fresh[k] for k in ("file_sha256", "party", "format", "batch_size"))
    return saved if same else fresh


def _save_state(path: Path | None, state: JsonObject) -> None:
    if path is None:
        return
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    temporary.replace(path)
