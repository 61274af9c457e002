"""/openapi.json states the contract: bodies, the signed-call scheme and the problem documents.

The document is checked against the running app, not only against itself: a route declared as
signed must answer an unsigned call with 401, an unsigned one must not; a registered body model
must be the one the route parses with (same located errors for the same bad body); every problem
code must resolve to a Dutch page. One SQLite runtime for the module keeps it fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from gateway.api.app import create_app
from gateway.api.openapi import REQUEST_BODIES, SECURITY_SCHEME, operations
from gateway.api.problems import CATALOGUE, PROBLEM_JSON
from gateway.errors import GatewayError
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.storage.database import create_db_engine, migrate
from gateway.validation import field_errors
from tests.support import REPO, Caller

UNSIGNED = {"/healthz", "/readyz", "/metrics", "/problems/{code}", "/v1/gateway"}
_DUTCH = {"de", "het", "een", "niet", "van", "deze", "geen", "bij", "dan", "op", "en", "die"}
_ENGLISH = {"the", "and", "this", "with", "cannot", "request", "failed", "raised"}


@pytest.fixture(scope="module")
def runtime_(
    keys: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'gateway.db'}"
    engine = create_db_engine(url)
    migrate(engine)
    public, private = keys
    settings = Settings(
        database_url=url,
        policies_dir=REPO / "policies",
        keys_dir=public,
        private_keys_dir=private,
    )
    yield Runtime.build(settings, engine=engine)
    engine.dispose()


@pytest.fixture(scope="module")
def app(runtime_: Runtime) -> FastAPI:
    return create_app(runtime_)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as found:
        yield found


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    return served.json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema["$ref"]
    assert ref.startswith("#/components/schemas/")
    return document["components"]["schemas"][ref.removeprefix("#/components/schemas/")]  # type: ignore[no-any-return]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _is_dutch(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return len(words & _DUTCH) >= 2 and not words & _ENGLISH


# --- request bodies ------------------------------------------------------------------------------


def test_every_route_with_a_body_has_a_registered_model(app):
    """A new POST without an entry in REQUEST_BODIES fails here, and so does a stale entry."""
    with_body = {
        (op.method, op.path) for op in operations(app) if op.method in {"POST", "PUT", "PATCH"}
    }
    assert with_body == set(REQUEST_BODIES)


def test_every_post_in_the_document_has_the_models_body_schema(document):
    posts = [(m, p, op) for m, p, op in _operations(document) if m == "POST"]
    assert {(m, p) for m, p, _ in posts} == set(REQUEST_BODIES)
    schemas = document["components"]["schemas"]
    for method, path, operation in posts:
        body = operation["requestBody"]
        assert body["required"] is True
        assert list(body["content"]) == ["application/json"], path
        model = REQUEST_BODIES[(method, path)]
        expected = model.model_json_schema(ref_template="#/components/schemas/{model}")
        definitions = expected.pop("$defs", {})
        assert _resolve(document, body["content"]["application/json"]["schema"]) == expected
        for name, schema in definitions.items():
            assert schemas[name] == schema, (path, name)


def test_the_signal_endpoint_documents_the_batch(document):
    body = document["paths"]["/v1/signals"]["post"]["requestBody"]
    batch = _resolve(document, body["content"]["application/json"]["schema"])
    assert batch["title"] == "SignalBatch"
    assert batch["properties"]["signals"]["items"] == {"$ref": "#/components/schemas/SignalIn"}
    assert "pseudonym" in document["components"]["schemas"]["SubjectIn"]["properties"]


def _expected_errors(model: type[BaseModel], body: bytes, rt: Runtime) -> set[tuple[str, str]]:
    try:
        model.model_validate_json(body, context={"limits": rt.signal_limits()})
    except ValidationError as exc:
        return {(e.location, e.code) for e in field_errors(exc)}
    raise AssertionError(f"{model.__name__} accepted {body!r}")


def test_each_registered_model_is_the_one_the_route_parses(client, runtime_, keys):
    """The same bad body, signed, gets exactly the located errors the registered model gives."""
    caller = Caller(base_url="", audience=runtime_.covenant.gateway_id, private_keys_dir=keys[1])
    body = b'{"niet_in_het_contract": 1}'
    for (method, path), model in REQUEST_BODIES.items():
        target = (
            path.replace("{case_id}", "case-0123456789abcdef")
            .replace("{intervention_id}", "int-0123456789abcdef")
            .replace("{embargo_id}", "emb-0123456789abcdef")
            .replace("{entry_id}", "reg-0123456789abcdef")
            .replace("{hub_id}", "hub-0123456789abcdef")
        )
        token = caller.token("politie-rotterdam", method, target, body, roles=["adapter"])
        answer = client.request(
            method,
            target,
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (path, answer.text)
        found = {(e["location"], e["code"]) for e in answer.json()["errors"]}
        assert found == _expected_errors(model, body, runtime_), path


# --- the signed-call scheme ----------------------------------------------------------------------


def test_the_signed_call_scheme_describes_its_binding(document):
    scheme = document["components"]["securitySchemes"][SECURITY_SCHEME]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for term in ("htm", "htu", "body_sha256", "gateway-call+jwt", "jti", "replay"):
        assert term in scheme["description"], term


def test_security_is_declared_exactly_where_an_unsigned_call_is_refused(document, client):
    """Checked by calling every operation without a token: 401 if and only if declared signed."""
    declared_unsigned = set()
    for method, path, operation in _operations(document):
        signed = operation.get("security") == [{SECURITY_SCHEME: []}]
        if not signed:
            assert "security" not in operation, path
            declared_unsigned.add(path)
        answer = client.request(method, _concrete(path), content=b"{}" if method == "POST" else b"")
        if signed:
            assert answer.status_code == 401, (method, path)
            assert answer.json()["type"] == "/problems/unauthenticated"
            assert "401" in operation["responses"]
        else:
            assert answer.status_code != 401, (method, path)
    assert declared_unsigned == UNSIGNED


def test_role_bound_operations_name_their_role(document):
    described = document["paths"]["/v1/signals"]["post"]["description"]
    assert "adapter" in described
    assert "description" not in document["paths"]["/v1/cases/{case_id}"]["get"]


# --- problems ------------------------------------------------------------------------------------


def _gateway_errors() -> Iterator[type[GatewayError]]:
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        kind = pending.pop()
        yield kind
        pending += kind.__subclasses__()


def test_every_gateway_error_is_catalogued_with_its_own_status_and_title():
    for kind in _gateway_errors():
        assert kind.code in CATALOGUE, kind.__qualname__
        status, title, _ = CATALOGUE[kind.code]
        assert (status, title) == (kind.status, kind.title), kind.code


def test_every_problem_code_resolves_with_a_dutch_description(client):
    descriptions = set()
    for code, (status, title, description) in CATALOGUE.items():
        page = client.get(f"/problems/{code}")
        assert page.status_code == 200, code
        assert page.json() == {
            "type": f"/problems/{code}",
            "status": status,
            "title": title,
            "description": description,
        }
        assert _is_dutch(description), (code, description)
        descriptions.add(description)
    # Each code its own text: an inherited description would describe another problem.
    assert len(descriptions) == len(CATALOGUE)
    unknown = client.get("/problems/bestaat-niet")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM_JSON


def test_problems_the_http_layer_makes_are_catalogued(client):
    for answer in (client.delete("/v1/signals"), client.get("/v1/bestaat-niet")):
        kind = answer.json()["type"]
        assert client.get(kind).status_code == 200, kind


def test_the_document_lists_the_problem_codes(document):
    codes = document["components"]["schemas"]["ProblemCode"]
    assert codes["enum"] == sorted(CATALOGUE)
    (parameter,) = document["paths"]["/problems/{code}"]["get"]["parameters"]
    assert parameter["schema"] == {"$ref": "#/components/schemas/ProblemCode"}


def test_error_responses_are_problem_documents(document):
    for _, path, operation in _operations(document):
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM_JSON], (path, status)
                assert response["content"][PROBLEM_JSON]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
                for code in re.findall(r"/problems/([a-z-]+)", response["description"]):
                    assert CATALOGUE[code][0] == int(status), (path, code)
        if operation.get("security"):
            assert {"401", "403", "413", "503"} <= set(responses), path
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, path
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "429" in document["paths"]["/v1/pseudonyms/evaluate"]["post"]["responses"]
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]


# --- structure -----------------------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_document_is_structurally_sound(document):
    """What a validator would check first, without one installed: version, resolvable refs,
    unique operation ids, every path parameter declared, every response described."""
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    for ref in _refs(document):
        section, _, name = ref.removeprefix("#/components/").partition("/")
        assert name in document["components"][section], ref
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    for _, path, operation in _operations(document):
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), path
        assert all(response.get("description") for response in operation["responses"].values())
