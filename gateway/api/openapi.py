"""The OpenAPI document as the gateway's contract, completed centrally.

The routes read the exact signed bytes themselves (``request.state.body``: the token's
``body_sha256`` covers those bytes, so FastAPI must not parse the body first). FastAPI therefore
sees no body parameter and documents none. This module adds what the routes cannot declare
without giving that up:

* every POST's request body, from :data:`REQUEST_BODIES` (method and path template -> the pydantic
  model the route parses with); a POST without an entry fails tests/test_openapi.py;
* the signed-call security scheme, on every operation whose dependencies include
  :func:`gateway.api.security.signed_call`, detected from the route, never from a hand list;
* the problem documents (RFC 9457) each operation can answer with, and the problem codes as a
  component and as the enum of ``/problems/{code}``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.api import security
from gateway.api.problems import CATALOGUE, PROBLEM_JSON
from gateway.api.routes.cases import (
    AddSignals,
    Approve,
    AssignIntervention,
    EditFile,
    OpenCase,
    Transition,
    UpdateIntervention,
)
from gateway.api.routes.embargoes import ExtendEmbargo, LiftEmbargo, PlaceEmbargo
from gateway.api.routes.hits import RegisterKey, ReviewHub, WithdrawEntry
from gateway.api.routes.pseudonyms import EvaluateRequest
from gateway.api.routes.release import ReleaseRequest
from gateway.auth.tokens import REQUIRED_CLAIMS, TOKEN_TYPE
from gateway.errors import (
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    Forbidden,
    GatewayError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PolicyRefused,
    RateLimited,
    Unavailable,
)
from gateway.jsontypes import JsonObject
from gateway.pseudonyms.oprf import EmptyBatch, InvalidElement
from gateway.signals.models import SignalBatch

# (method, path template) -> the model the route parses ``request.state.body`` with.
REQUEST_BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/v1/pseudonyms/evaluate"): EvaluateRequest,
    ("POST", "/v1/signals"): SignalBatch,
    ("POST", "/v1/cases"): OpenCase,
    ("POST", "/v1/cases/{case_id}/transitions"): Transition,
    ("POST", "/v1/cases/{case_id}/signals"): AddSignals,
    ("POST", "/v1/cases/{case_id}/file"): EditFile,
    ("POST", "/v1/cases/{case_id}/approvals"): Approve,
    ("POST", "/v1/cases/{case_id}/interventions"): AssignIntervention,
    ("POST", "/v1/cases/{case_id}/interventions/{intervention_id}"): UpdateIntervention,
    ("POST", "/v1/cases/{case_id}/release"): ReleaseRequest,
    ("POST", "/v1/hubs/register"): RegisterKey,
    ("POST", "/v1/hubs/register/{entry_id}/withdraw"): WithdrawEntry,
    ("POST", "/v1/hubs/{hub_id}/review"): ReviewHub,
    ("POST", "/v1/embargoes"): PlaceEmbargo,
    ("POST", "/v1/embargoes/{embargo_id}/extend"): ExtendEmbargo,
    ("POST", "/v1/embargoes/{embargo_id}/lift"): LiftEmbargo,
}

# Problems an operation raises beyond what its shape (signed, parameters, POST) implies.
EXTRA_PROBLEMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/v1/pseudonyms/evaluate"): (RateLimited.code, InvalidElement.code, EmptyBatch.code),
    ("GET", "/readyz"): (Unavailable.code,),
}

SECURITY_SCHEME = "signedCall"
_CLAIMS = ", ".join(REQUIRED_CLAIMS)
SECURITY_DESCRIPTION = f"""\
**Ondertekende aanroep.** Elke aanroep draagt in `Authorization: Bearer <token>` een JWS (JWT)
met header `typ: {TOKEN_TYPE}` en de `kid` van een sleutel uit de JWKS van de aanroepende partij
(algoritme EdDSA of ES256, bepaald door de sleutel, nooit door het token). Verplichte claims:
{_CLAIMS}. Het token is gebonden aan precies deze aanroep:

* `htm`: de HTTP-methode (bijvoorbeeld `POST`);
* `htu`: het doel van het verzoek, pad plus query, precies zoals verstuurd;
* `body_sha256`: base64url (zonder opvulling) van SHA-256 over de exacte bytes van de body,
  de lege body voor GET; daarom ondertekent de aanroeper de bytes die hij verstuurt en
  serialiseert hij de JSON niet opnieuw;
* `aud`: de id van deze gateway, `iss`: de partij, `roles`: de rollen voor deze aanroep;
* `iat`/`exp`: kort geldig (zie GATEWAY_TOKEN_MAX_LIFETIME_S);
* `jti`: uniek per aanroep; een tweede gebruik wordt geweigerd (replay).

Elke mislukte controle geeft dezelfde kale 401 (`/problems/unauthenticated`); de oorzaak staat
alleen in het auditlog.

**Signed call.** Every call carries a JWS with `typ: {TOKEN_TYPE}` in
`Authorization: Bearer`, signed by a key from the calling party's JWKS and bound to the method
(`htm`), the request target, path plus query (`htu`), and the SHA-256 of the exact body bytes
(`body_sha256`, base64url). Tokens are short-lived and single-use: a reused `jti` is refused as a
replay. Any failed check is one bare 401."""

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_RETRY_AFTER = {
    "description": "Seconden tot een nieuwe poging zinvol is.",
    "schema": {"type": "integer", "minimum": 0},
}
_SCHEMAS: dict[str, JsonObject] = {
    "FieldError": {
        "type": "object",
        "title": "FieldError",
        "description": "Eén fout op één plaats; nooit met de ingestuurde waarde.",
        "properties": {
            "location": {"type": "string", "examples": ["signals[3].municipality"]},
            "message": {"type": "string", "description": "Nederlandse uitleg."},
            "code": {"type": "string", "description": "Stabiele foutcode."},
            "basis": {
                "type": "string",
                "description": "De wettelijke grondslag die een beleidsreden noemt.",
            },
        },
        "required": ["location", "message", "code"],
    },
    "Problem": {
        "type": "object",
        "title": "Problem",
        "description": (
            "Probleemdocument (RFC 9457, application/problem+json). `type` is "
            "`/problems/<code>`; die pagina beschrijft het probleem in het Nederlands."
        ),
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "pattern": "^/problems/"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "policy_revision": {"type": "string", "description": "Bij policy-refused."},
            "checks": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Bij /readyz: de stand per controle.",
            },
        },
        "required": ["type", "title", "status", "detail"],
    },
}


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation as the app routes it."""

    method: str
    path: str
    signed: bool
    roles: tuple[str, ...]


def is_signed_call(call: Callable[..., object] | None) -> bool:
    """Whether ``call`` is a dependency made by :func:`security.signed_call`: a closure of that
    factory, recognised by where it was defined."""
    return (
        call is not None
        and getattr(call, "__module__", None) == security.signed_call.__module__
        and getattr(call, "__qualname__", "").startswith(security.signed_call.__qualname__ + ".")
    )


def _calls(dependant: Dependant) -> Iterator[Callable[..., object] | None]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _roles(call: Callable[..., object]) -> tuple[str, ...]:
    """The roles the dependency requires (the factory's ``*required``), for the description."""
    required = inspect.getclosurevars(call).nonlocals.get("required", ())
    return tuple(sorted(str(getattr(role, "value", role)) for role in required))


def operations(app: FastAPI) -> list[Operation]:
    """Every operation in the schema, with whether it needs a signed call and which roles."""
    found: list[Operation] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        signed = [call for call in _calls(context.dependant) if is_signed_call(call)]
        roles = tuple(sorted({role for call in signed if call for role in _roles(call)}))
        for method in sorted(context.methods or ()):
            found.append(Operation(method, str(context.path_format), bool(signed), roles))
    return found


def contract(app: FastAPI) -> JsonObject:
    """FastAPI's document for ``app``, with bodies, security and problems added."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    body_refs = _add_body_schemas(schemas)
    _add(schemas, _SCHEMAS)
    schemas["ProblemCode"] = {
        "type": "string",
        "title": "ProblemCode",
        "enum": sorted(CATALOGUE),
        "description": "Elke probleemcode die de gateway kan teruggeven:\n\n"
        + "\n".join(
            f"* `{code}` ({status}): {title}"
            for code, (status, title, _) in sorted(CATALOGUE.items())
        ),
    }
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": f"JWT ({TOKEN_TYPE})",
            "description": SECURITY_DESCRIPTION,
        }
    }
    for op in operations(app):
        entry = document["paths"][op.path][op.method.lower()]
        model = REQUEST_BODIES.get((op.method, op.path))
        if model is not None:
            entry["requestBody"] = {
                "required": True,
                "description": "JSON; het token ondertekent precies deze bytes (body_sha256).",
                "content": {"application/json": {"schema": body_refs[model]}},
            }
        if op.signed:
            entry["security"] = [{SECURITY_SCHEME: []}]
            if op.roles:
                needed = ", ".join(op.roles)
                entry["description"] = (
                    entry.get("description", "") + f"\n\nVereiste rol in het token: {needed}."
                ).strip()
        _add_problems(entry, op, has_body=model is not None)
    _document_problem_page(document)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in repr(document["paths"]):
            schemas.pop(unused, None)
    components["schemas"] = dict(sorted(schemas.items()))
    return document


def install(app: FastAPI) -> None:
    """Serve :func:`contract` as ``/openapi.json`` (built once, on first request)."""

    def openapi() -> JsonObject:
        if app.openapi_schema is None:
            app.openapi_schema = contract(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents replacing app.openapi


def _add(schemas: JsonObject, new: JsonObject) -> None:
    """Add component schemas; a name already taken by a different schema is a bug, not a merge."""
    for name, schema in new.items():
        if schemas.get(name, schema) != schema:
            raise RuntimeError(f"OpenAPI: twee verschillende schema's heten {name}")
        schemas[name] = schema


def _add_body_schemas(schemas: JsonObject) -> dict[type[BaseModel], JsonObject]:
    """The body models' schemas as components; returns each model's ``$ref``."""
    models = sorted(set(REQUEST_BODIES.values()), key=lambda m: (m.__module__, m.__qualname__))
    refs, top = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    _add(schemas, top.get("$defs", {}))
    return {model: refs[(model, "validation")] for model in models}


def _problem_response(codes: list[str]) -> JsonObject:
    lines = [f"`{code}`: {CATALOGUE[code][1]} (/problems/{code})" for code in codes]
    response: JsonObject = {
        "description": "; ".join(lines),
        "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}},
    }
    if AuthenticationFailed.code in codes:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'Altijd `Bearer error="invalid_token"`.',
                "schema": {"type": "string"},
            }
        }
    if {Unavailable.code, RateLimited.code} & set(codes):
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


def _add_problems(entry: JsonObject, op: Operation, *, has_body: bool) -> None:
    """The error responses this operation can give, each as application/problem+json."""
    codes: list[str] = []
    if op.signed:
        codes += [AuthenticationFailed.code, Forbidden.code, PolicyRefused.code]
        codes += [PayloadTooLarge.code, Unavailable.code]
        if op.method == "POST":
            # A POST names stored things (a hit, a case, a ref) and changes state.
            codes += [NotFound.code, Conflict.code]
    if has_body or entry.get("parameters"):
        codes.append(InvalidInput.code)
    if "{" in op.path:
        codes.append(NotFound.code)
    codes += EXTRA_PROBLEMS.get((op.method, op.path), ())
    codes += [GatewayError.code, ConfigurationError.code]
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(CATALOGUE[code][0], []).append(code)
    responses = entry.setdefault("responses", {})
    for status, grouped in by_status.items():
        responses[str(status)] = _problem_response(grouped)
    entry["responses"] = dict(sorted(responses.items()))


def _document_problem_page(document: JsonObject) -> None:
    """``/problems/{code}`` takes a plain string (an unknown code is a 404 problem); the document
    still names every code it answers for."""
    operation = document["paths"]["/problems/{code}"]["get"]
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "code":
            parameter["schema"] = {"$ref": "#/components/schemas/ProblemCode"}
            parameter["description"] = "Een probleemcode, het laatste deel van `type`."
