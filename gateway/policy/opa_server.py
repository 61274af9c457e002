"""The ``opa`` backend: decisions by an OPA server over its REST API (docker-compose's ``opa``).

The HTTP side is ``opa-python-client``: its ``OpaClient`` pushes policies
(``update_policy_from_string``) and data (``update_or_create_data``), reads documents
(``get_data``), deletes modules (``delete_policy``), checks ``/health`` and asks for decisions
(``query_rule``). It is configured so that nothing happens between the gateway and OPA that the
gateway did not ask for:

- no retries: the client's default retries with back-off would stretch the one timeout after
  which a decision must be a denial;
- ``rego_compat=False`` on every policy upload: by default the client rewrites a policy that OPA
  refuses as Rego v0 into v1 and uploads the rewrite, so the server could hold a policy that is
  not the file hashed into the revision;
- its ``requests`` session ignores proxy and netrc settings from the environment (decision traffic
  must not be routed through a proxy by accident) and follows no redirects.

One client serves every thread: urllib3's connection pool is thread-safe, and the session's other
shared state is its cookie jar, which OPA never fills.

``OpaClient`` lists module ids but not their sources, and fetching a module by id fails for the
absolute ids OPA gives files it loaded itself (``/policies/...`` becomes ``//policies/...`` in the
URL, which OPA's router redirects to another id). :class:`_GatewayOpaClient` adds that one call,
``policy_sources``, on the client's own session. The client addresses a server as host and port,
so ``GATEWAY_OPA_URL`` is scheme, host and port only.

Two ways to get the policies onto the server, both ending in the same check that the server holds
exactly this policy set (its revision):

- ``push=True`` (default): at start every decision module is ``PUT /v1/policies/<relative path>``
  and the data document ``PUT /v1/data/``, including ``data.gateway_meta.revision`` and the list
  of module ids the gateway owns (so a later start can remove modules that were deleted from the
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
from urllib.parse import quote, urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import (
    DeletePolicyError,
    PolicyNotFoundError,
    RegoParseError,
)
from requests.adapters import HTTPAdapter

from gateway.errors import ConfigurationError, Unavailable
from gateway.jsontypes import Json, JsonObject
from gateway.policy.bundle import META_KEY, PolicySet
from gateway.policy.engine import (
    DecisionPoint,
    DocumentUndefined,
    EngineBase,
    EngineUnavailable,
    EvaluationFailed,
)

_EVAL_PARAMS = {"strict-builtin-errors": "true"}
_OUTAGE_STATUSES = {429, 502, 503, 504}

# OPA's error code for a request it refuses (a module that does not parse or compile, ...).
_REFUSED = "invalid_parameter"

# What ``OpaClient.get_data`` puts in ``PolicyNotFoundError.expression`` when OPA answered 200
# without a result (an undefined document), as opposed to OPA's own code for an error answer.
_UNDEFINED = "PolicyNotFoundError"


class _ServerError(Exception):
    """An error answer from OPA during set-up: OPA's error code and its own error lines."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text

    @classmethod
    def of(cls, exc: RegoParseError | PolicyNotFoundError | DeletePolicyError) -> _ServerError:
        errors = getattr(exc, "errors", None)
        code = str(exc.expression or "unknown")
        return cls(code, _error_lines({"code": code, "message": exc.message, "errors": errors}))


class _GatewayOpaClient(OpaClient):  # type: ignore[misc]  # opa_client ships no types
    """``OpaClient`` with a session that trusts no environment, and the module listing it lacks."""

    def _init_session(self) -> requests.Session:
        session: requests.Session = super()._init_session()
        # requests' own default adapter: no retries, and a timeout raised as a Timeout (the
        # client's urllib3 Retry(total=0) turns a read timeout on a GET into a ConnectionError).
        adapter = HTTPAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.trust_env = False
        session.max_redirects = 0
        return session

    def policy_sources(self) -> dict[str, str]:
        """Every module on the server, id to source, in one ``GET /v1/policies``."""
        response = self._session.get(f"{self.root_url}/policies", timeout=self.timeout)
        if response.status_code != 200:
            raise _ServerError(str(response.status_code), _error_text(response))
        listing = response.json().get("result")
        if not isinstance(listing, list):
            raise ConfigurationError("De OPA-server gaf geen lijst van beleidsmodules.")
        return {
            str(item["id"]): str(item.get("raw", ""))
            for item in listing
            if isinstance(item, dict) and "id" in item
        }


def _client_for(url: str, timeout_s: float) -> _GatewayOpaClient:
    """An ``OpaClient`` for ``http(s)://host[:port]``; anything else is a configuration error."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        # Never echo credentials someone put in the URL.
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        raise ConfigurationError(
            f"OPA-URL {shown!r}: gebruik http(s)://host[:poort], zonder pad, query of "
            "gebruikersnaam"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return _GatewayOpaClient(
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        ssl=parts.scheme == "https",
        retries=0,
        timeout=timeout_s,
        headers={"Accept": "application/json"},
    )


class OpaServerEngine(EngineBase):
    """Decisions by an OPA server at ``url``; see the module docstring.

    ``timeout_s`` bounds each phase (connect, wait for the answer) of one call; past it the
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
    ) -> None:
        if timeout_s <= 0:
            raise ConfigurationError("De time-out van de OPA-server moet groter dan 0 zijn.")
        client = _client_for(url, timeout_s)
        super().__init__(revision=policy_set.revision, data=policy_set.data)
        self._policy_set = policy_set
        self._push = push
        self._timeout_s = timeout_s
        self._closed = threading.Event()
        self._client = client
        try:
            self._wait_until_healthy(start_timeout_s)
            self.synchronise()
        except BaseException:
            self._client.close_connection()
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
        except requests.RequestException as exc:
            raise Unavailable(f"OPA-server niet bereikbaar: {type(exc).__name__}") from None
        except _ServerError as exc:
            raise ConfigurationError(f"OPA-server weigert het beleid:\n{exc.text}") from None

    def _wait_until_healthy(self, start_timeout_s: float) -> None:
        deadline = time.monotonic() + start_timeout_s
        while not self._client.check_health():
            if time.monotonic() >= deadline:
                raise Unavailable(
                    f"OPA-server op {self._client.host}:{self._client.port} niet gezond binnen "
                    f"{start_timeout_s} s"
                )
            time.sleep(0.1)

    def _push_policy_set(self) -> None:
        ours = dict(self._policy_set.modules)
        meta = self._read(META_KEY)
        owned = set(meta.get("modules", [])) if isinstance(meta, dict) else set()
        server = self._client.policy_sources()
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
        self._write_data({"revision": None, "modules": sorted(owned | set(ours))}, META_KEY)
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
                try:
                    self._apply(method, module_id, ours.get(module_id, ""))
                except _ServerError as exc:
                    # OPA refuses a module that needs one not pushed yet, or a deletion that
                    # another module still needs: try again after this pass.
                    if exc.code != _REFUSED:
                        raise
                    refused.append((method, module_id))
                    messages.append(exc.text)
            if len(refused) == len(operations):
                raise ConfigurationError(
                    "OPA-server weigert het beleid:\n" + "\n".join(dict.fromkeys(messages))
                )
            operations = refused
        self._write_data(self._policy_set.data_document(), "")

    def _apply(self, method: str, module_id: str, source: str) -> None:
        endpoint = quote(module_id, safe="/")
        if method == "PUT":
            try:
                self._client.update_policy_from_string(source, endpoint, rego_compat=False)
            except RegoParseError as exc:
                raise _ServerError.of(exc) from None
            return
        try:
            self._client.delete_policy(endpoint)
        except DeletePolicyError as exc:
            if exc.expression != "resource_not_found":
                raise _ServerError.of(exc) from None

    def _verify_pushed(self) -> None:
        server = self._client.policy_sources()
        ours = self._policy_set.modules
        if set(server) != set(ours) or any(server[m] != ours[m] for m in ours):
            differing = sorted(m for m in set(server) | set(ours) if server.get(m) != ours.get(m))
            raise ConfigurationError(
                "De OPA-server houdt niet exact deze beleidsset vast; verschil in: "
                + ", ".join(differing)
            )
        found = self._read(f"{META_KEY}/revision")
        if found != self.revision:
            raise ConfigurationError(
                f"De OPA-server meldt beleidsrevisie {found!r}, verwacht {self.revision}"
            )

    def _verify_mounted(self) -> None:
        """OPA loaded the directory itself: every module id ends in our relative path."""
        server = self._client.policy_sources()
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
            expected: Json = self._policy_set.data
            for part in parts:
                expected = expected[part]
            checks = [(parts, expected)]
            if not parts:
                # The whole data document would evaluate every rule; check the root file key by
                # key.
                checks = [((key,), value) for key, value in expected.items()]
            for path, value in checks:
                found = self._read("/".join(quote(part, safe="") for part in path))
                if not _contains(found, value):
                    raise ConfigurationError(
                        f"De OPA-server houdt andere data vast op data.{'.'.join(path)} "
                        f"(uit {data_file})"
                    )

    def _read(self, path: str) -> Json:
        """The document at ``data/<path>``; None when it is undefined."""
        try:
            body = self._client.get_data(path)
        except PolicyNotFoundError as exc:
            if exc.expression == _UNDEFINED:
                return None
            raise _ServerError.of(exc) from None
        return body.get("result")

    def _write_data(self, value: JsonObject, path: str) -> None:
        try:
            self._client.update_or_create_data(value, path)
        except RegoParseError as exc:
            raise _ServerError.of(exc) from None

    # -- decisions --------------------------------------------------------------------------

    def _evaluate(self, point: DecisionPoint, input: Mapping[str, Json]) -> object:
        if self._closed.is_set():
            raise EngineUnavailable("OPA server engine is closed")
        try:
            body = self._client.query_rule(
                dict(input), f"gateway/{point.value}", "decision", query_params=_EVAL_PARAMS
            )
        except requests.Timeout:
            raise EngineUnavailable(
                f"OPA server gave no answer within {self._timeout_s} s"
            ) from None
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else "?"
            text = _error_text(response) if response is not None else ""
            # A gateway or an overloaded server in front of OPA: an outage. OPA's own 500 is an
            # evaluation error of the policy, which a retry does not cure.
            if status in _OUTAGE_STATUSES:
                raise EngineUnavailable(f"OPA server answered {status}: {text}") from None
            raise EvaluationFailed(f"OPA server answered {status}: {text}") from None
        except requests.JSONDecodeError:
            raise EvaluationFailed("OPA server answered with invalid JSON") from None
        except requests.RequestException as exc:
            raise EngineUnavailable(f"OPA server unreachable: {type(exc).__name__}") from None
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
            if self._push:
                found = self._read(f"{META_KEY}/revision")
                if found != self.revision:
                    raise Unavailable(
                        "OPA-server houdt een andere beleidsrevisie vast "
                        f"({found!r}, verwacht {self.revision})."
                    )
            else:
                self._verify_mounted()
            if not self._client.check_health():
                raise Unavailable("OPA-server ongezond (/health).")
        except requests.Timeout:
            raise Unavailable(f"OPA-server antwoordt niet binnen {self._timeout_s} s.") from None
        except requests.RequestException as exc:
            raise Unavailable(f"OPA-server niet bereikbaar ({type(exc).__name__}).") from None
        except (_ServerError, ConfigurationError) as exc:
            raise Unavailable(f"OPA-server niet bruikbaar: {exc}") from None

    def close(self) -> None:
        """Close the HTTP session; later decisions are denials. The server keeps the policies."""
        self._closed.set()
        self._client.close_connection()


def _error_text(response: requests.Response) -> str:
    """OPA's error body as OPA prints it: one ``file:row: code: message`` line per error."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return str(body)[:500]
    return _error_lines(body)


def _error_lines(body: Mapping[str, Json]) -> str:
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


def _contains(found: Json, expected: Json) -> bool:
    """``found`` holds everything in ``expected``: objects may have more keys (rules of a package
    below the same path, data of a deeper data file), everything else must be equal."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(
            key in found and _contains(found[key], value) for key, value in expected.items()
        )
    return _json_equal(found, expected)


def _json_equal(left: Json, right: Json) -> bool:
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
