"""The ``opa`` backend: decisions by an OPA server over its REST API (docker-compose's ``opa``).

Why httpx and not ``opa-python-client``: DESIGN §7 names that client, and ``pip install
opa-python-client==3.0.0`` resolves on this venv, but it would add twelve more packages to a product
that pins every dependency (requests, urllib3, aiohttp with its C extensions, aiofiles, ...) for a
dozen lines of HTTP; its ``update_policy_from_string`` by default rewrites a policy that OPA
refuses as Rego v0 into v1 and uploads the rewrite, so the server could hold a policy that is not
the file we hashed into the revision; its session retries failed requests with back-off, which
blurs the one timeout after which a decision must be a denial; and it addresses a server as
host + port rather than by URL. httpx is already a pinned dependency, is thread-safe with
connection pooling, has exact per-phase timeouts, and is told not to read proxy settings from the
environment (``trust_env=False``): decision traffic must not be routed through a proxy by accident.

Two ways to get the policies onto the server, both ending in the same check that the server holds
exactly this policy set (its revision):

- ``push=True`` (default): at start every decision module is ``PUT /v1/policies/<relative path>``
  and the data document ``PUT /v1/data``, including ``data.gateway_meta.revision`` and the list of
  module ids the gateway owns (so a later start can remove modules that were deleted from the
  directory, and refuse to touch modules someone else loaded). Modules are retried in passes, so
  a module that calls a function defined in another one is accepted once that one is there.
- ``push=False``: OPA loaded the same directory itself (``opa run --server --ignore=samples
  /policies``). Nothing is written; the server's module sources and data are compared with ours.

Decisions are ``POST /v1/data/gateway/<point>/decision`` with ``{"input": ...}`` and
``strict-builtin-errors=true`` (the embedded engine treats a failing built-in as an error, and the
two backends must decide identically). A response without ``result`` is an undefined decision. A
timeout, a refused connection or a non-200 answer is a denial (see :mod:`gateway.policy.engine`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from gateway.errors import ConfigurationError, Unavailable
from gateway.policy.bundle import META_KEY, PolicySet
from gateway.policy.engine import DecisionPoint, DocumentUndefined, EngineBase, EvaluationFailed

_EVAL_PARAMS = {"strict-builtin-errors": "true"}


class _ServerError(Exception):
    """A non-success answer from OPA during set-up: status and OPA's own error text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text}")
        self.status = status
        self.text = text


class OpaServerEngine(EngineBase):
    """Decisions by an OPA server at ``url``; see the module docstring.

    ``timeout_s`` bounds each phase (connect, send, wait for the answer) of one call; past it the
    decision is a denial. ``start_timeout_s`` is how long start-up waits for ``/health``, because
    the gateway and OPA containers start together. Set-up failures raise: an unreachable server
    :class:`Unavailable`, a policy OPA refuses or a server holding other policies
    :class:`ConfigurationError` with OPA's own messages.
    """

    name = "opa"

    def __init__(
        self,
        policy_set: PolicySet,
        url: str,
        timeout_s: float,
        *,
        push: bool = True,
        start_timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"OPA-URL {url!r}: gebruik http:// of https://")
        if timeout_s <= 0:
            raise ConfigurationError("De time-out van de OPA-server moet groter dan 0 zijn.")
        super().__init__(revision=policy_set.revision, data=policy_set.data)
        self._policy_set = policy_set
        self._push = push
        self._timeout_s = timeout_s
        self._closed = threading.Event()
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(timeout_s),
            trust_env=False,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        try:
            self._wait_until_healthy(start_timeout_s)
            self.synchronise()
        except BaseException:
            self._client.close()
            raise

    # -- set-up -----------------------------------------------------------------------------

    def synchronise(self) -> None:
        """Bring the server to this policy set (push mode) and verify that it holds exactly it.

        Safe to call again, e.g. after the OPA server restarted and lost its in-memory policies.
        """
        try:
            if self._push:
                self._push_policy_set()
                self._verify_pushed()
            else:
                self._verify_mounted()
            self._verify_data()
        except httpx.HTTPError as exc:
            raise Unavailable(f"OPA-server niet bereikbaar: {type(exc).__name__}") from None
        except _ServerError as exc:
            raise ConfigurationError(f"OPA-server weigert het beleid:\n{exc.text}") from None

    def _wait_until_healthy(self, start_timeout_s: float) -> None:
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                if self._client.get("/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                raise Unavailable(
                    f"OPA-server op {self._client.base_url} niet gezond binnen {start_timeout_s} s"
                )
            time.sleep(0.1)

    def _push_policy_set(self) -> None:
        ours = dict(self._policy_set.modules)
        meta = self._result("GET", f"/v1/data/{META_KEY}")
        owned = set(meta.get("modules", [])) if isinstance(meta, dict) else set()
        server = self._server_policies()
        foreign = sorted(set(server) - set(ours) - owned)
        if foreign:
            raise ConfigurationError(
                "De OPA-server bevat beleid dat de gateway niet heeft geplaatst: "
                + ", ".join(foreign)
                + ". Start OPA zonder beleidsbestanden, of laat OPA de beleidsmap laden en zet "
                "GATEWAY_OPA_PUSH=false."
            )
        # Record intent first: if start-up dies half-way, the next start still knows which
        # modules are the gateway's, and the revision reads as unset, so readiness fails.
        self._expect(
            "PUT",
            f"/v1/data/{META_KEY}",
            {204},
            json={"revision": None, "modules": sorted(owned | set(ours))},
        )
        operations: list[tuple[str, str]] = [
            ("PUT", module_id)
            for module_id in sorted(ours)
            if server.get(module_id) != ours[module_id]
        ]
        stale = (owned & set(server)) - set(ours)
        operations += [("DELETE", module_id) for module_id in sorted(stale)]
        while operations:
            refused: list[tuple[str, str]] = []
            messages: list[str] = []
            for method, module_id in operations:
                path = f"/v1/policies/{quote(module_id, safe='/')}"
                try:
                    if method == "PUT":
                        self._expect(
                            "PUT",
                            path,
                            {200},
                            content=ours[module_id].encode("utf-8"),
                            headers={"Content-Type": "text/plain"},
                        )
                    else:
                        self._expect("DELETE", path, {200, 404})
                except _ServerError as exc:
                    if exc.status != 400:
                        raise
                    refused.append((method, module_id))
                    messages.append(exc.text)
            if len(refused) == len(operations):
                raise ConfigurationError(
                    "OPA-server weigert het beleid:\n" + "\n".join(dict.fromkeys(messages))
                )
            operations = refused
        self._expect("PUT", "/v1/data", {204}, json=self._policy_set.data_document())

    def _verify_pushed(self) -> None:
        server = self._server_policies()
        ours = self._policy_set.modules
        if set(server) != set(ours) or any(server[m] != ours[m] for m in ours):
            differing = sorted(m for m in set(server) | set(ours) if server.get(m) != ours.get(m))
            raise ConfigurationError(
                "De OPA-server houdt niet exact deze beleidsset vast; verschil in: "
                + ", ".join(differing)
            )
        found = self._result("GET", f"/v1/data/{META_KEY}/revision")
        if found != self.revision:
            raise ConfigurationError(
                f"De OPA-server meldt beleidsrevisie {found!r}, verwacht {self.revision}"
            )

    def _verify_mounted(self) -> None:
        """OPA loaded the directory itself: every module id ends in our relative path."""
        server = self._server_policies()
        ours = self._policy_set.all_modules
        matched: dict[str, str] = {}
        for server_id in server:
            # The most specific match: "/policies/x/a.rego" is x/a.rego, not a root a.rego.
            candidates = [p for p in ours if server_id == p or server_id.endswith("/" + p)]
            if not candidates or max(candidates, key=len) in matched:
                raise ConfigurationError(
                    f"De OPA-server bevat module {server_id!r} die niet (eenduidig) in de "
                    "beleidsmap van de gateway staat."
                )
            matched[max(candidates, key=len)] = server_id
        for relative in sorted(ours):
            found = matched.get(relative)
            if found is None:
                if relative in self._policy_set.modules:
                    raise ConfigurationError(f"De OPA-server mist beleidsmodule {relative}")
                continue
            if server[found] != ours[relative]:
                raise ConfigurationError(
                    f"De OPA-server houdt een andere versie van {relative} vast"
                )

    def _verify_data(self) -> None:
        """Each data file's document on the server contains what the file says."""
        for data_file in self._policy_set.data_files:
            parts = PolicySet.data_path_of(data_file)
            expected: Any = self._policy_set.data
            for part in parts:
                expected = expected[part]
            checks = [(parts, expected)]
            if not parts:
                # GET /v1/data would evaluate every rule; check the root file key by key.
                checks = [((key,), value) for key, value in expected.items()]
            for path, value in checks:
                url = "/v1/data/" + "/".join(quote(part, safe="") for part in path)
                found = self._result("GET", url)
                if not _contains(found, value):
                    raise ConfigurationError(
                        f"De OPA-server houdt andere data vast op data.{'.'.join(path)} "
                        f"(uit {data_file})"
                    )

    def _server_policies(self) -> dict[str, str]:
        listing = self._result("GET", "/v1/policies")
        if not isinstance(listing, list):
            raise ConfigurationError("De OPA-server gaf geen lijst van beleidsmodules.")
        return {
            str(item["id"]): str(item.get("raw", ""))
            for item in listing
            if isinstance(item, dict) and "id" in item
        }

    def _result(self, method: str, path: str) -> Any:
        response = self._client.request(method, path)
        if response.status_code != 200:
            raise _ServerError(response.status_code, _error_text(response))
        body = response.json()
        return body.get("result") if isinstance(body, dict) else None

    def _expect(self, method: str, path: str, statuses: set[int], **kwargs: Any) -> None:
        response = self._client.request(method, path, **kwargs)
        if response.status_code not in statuses:
            raise _ServerError(response.status_code, _error_text(response))

    # -- decisions --------------------------------------------------------------------------

    def _evaluate(self, point: DecisionPoint, input: Mapping[str, Any]) -> object:
        if self._closed.is_set():
            raise EvaluationFailed("OPA server engine is closed")
        try:
            response = self._client.post(
                f"/v1/data/gateway/{point.value}/decision",
                params=_EVAL_PARAMS,
                json={"input": dict(input)},
            )
        except httpx.TimeoutException:
            raise EvaluationFailed(
                f"OPA server gave no answer within {self._timeout_s} s"
            ) from None
        except httpx.HTTPError as exc:
            raise EvaluationFailed(f"OPA server unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise EvaluationFailed(
                f"OPA server answered {response.status_code}: {_error_text(response)}"
            )
        try:
            body = response.json()
        except ValueError:
            raise EvaluationFailed("OPA server answered with invalid JSON") from None
        if not isinstance(body, dict):
            raise EvaluationFailed("OPA server answered with a non-object body")
        if "result" not in body:
            raise DocumentUndefined(f"data.{point.document_path} is undefined")
        return body["result"]

    def check_ready(self) -> None:
        """Ask the server now: healthy, and holding this revision (push) or these files (mount).

        An OPA server that restarted has lost pushed policies; this fails until
        :meth:`synchronise` pushes them again, and every decision meanwhile is a denial.
        """
        if self._closed.is_set():
            raise Unavailable("OPA-backend is gesloten.")
        try:
            health = self._client.get("/health")
            if health.status_code != 200:
                raise Unavailable(f"OPA-server ongezond (status {health.status_code}).")
            if self._push:
                found = self._result("GET", f"/v1/data/{META_KEY}/revision")
                if found != self.revision:
                    raise Unavailable(
                        "OPA-server houdt een andere beleidsrevisie vast "
                        f"({found!r}, verwacht {self.revision})."
                    )
            else:
                self._verify_mounted()
        except httpx.TimeoutException:
            raise Unavailable(f"OPA-server antwoordt niet binnen {self._timeout_s} s.") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"OPA-server niet bereikbaar ({type(exc).__name__}).") from None
        except (_ServerError, ConfigurationError) as exc:
            raise Unavailable(f"OPA-server niet bruikbaar: {exc}") from None

    def close(self) -> None:
        """Close the HTTP client; later decisions are denials. The server keeps the policies."""
        self._closed.set()
        self._client.close()


def _error_text(response: httpx.Response) -> str:
    """OPA's error body as OPA prints it: one ``file:row: code: message`` line per error."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return str(body)[:500]
    lines = []
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        location = error.get("location") or {}
        prefix = (
            f"{location.get('file')}:{location.get('row')}: "
            if isinstance(location, dict) and location.get("file")
            else ""
        )
        lines.append(f"{prefix}{error.get('code')}: {error.get('message')}")
    if lines:
        return "\n".join(lines)
    return f"{body.get('code', 'unknown')}: {body.get('message', '')}"


def _contains(found: Any, expected: Any) -> bool:
    """``found`` holds everything in ``expected``: objects may have more keys (rules of a package
    below the same path, data of a deeper data file), everything else must be equal."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(
            key in found and _contains(found[key], value) for key, value in expected.items()
        )
    return _json_equal(found, expected)


def _json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values: 1 equals 1.0 (JSON has one number type), but not ``true``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)
