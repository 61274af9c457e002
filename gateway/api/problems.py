"""RFC 9457 problem details for every error, with a stable ``type`` per error kind.

``type`` is a relative URI, ``/problems/<code>``, which the gateway itself serves as a short
description, so a partner's developer can look a problem up on the gateway they talk to.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway import errors
from gateway.errors import GatewayError, InvalidInput
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.pseudonyms import oprf
from gateway.storage.database import outage
from gateway.validation import field_errors, invalid_input

PROBLEM_JSON = "application/problem+json"
BaseModelT = TypeVar("BaseModelT", bound=BaseModel)
_log = get_logger("gateway.api")

# Problems the HTTP layer answers itself, without a GatewayError behind them.
METHOD_NOT_ALLOWED = "method-not-allowed"
HTTP_ERROR = "http-error"
_HTTP_ONLY: dict[str, tuple[int, str, str]] = {
    METHOD_NOT_ALLOWED: (
        405,
        "Methode niet toegestaan",
        "Deze bron bestaat, maar niet met deze HTTP-methode; /openapi.json noemt de methoden "
        "per pad.",
    ),
    HTTP_ERROR: (
        400,
        "Fout in het verzoek",
        "Het verzoek kon op HTTP-niveau niet worden verwerkt; de status van het antwoord zegt "
        "wat er mis was.",
    ),
}

# Errors defined outside gateway.errors keep their module untouched; their Dutch description
# lives here, next to the catalogue that serves it.
_DESCRIPTIONS: dict[str, str] = {
    oprf.OprfError.code: (
        "De pseudoniemaanvraag is ongeldig; de oorzaak staat in een van de andere oprf-codes."
    ),
    oprf.InvalidInput.code: (
        "Een invoer voor de pseudoniemfunctie is langer dan 65535 bytes of levert het neutrale "
        "element op (RFC 9497)."
    ),
    oprf.InvalidElement.code: (
        "Een geblindeerd element is geen geldig ristretto255-element: verwacht worden 32 bytes in "
        "canonieke codering, niet het neutrale element. detail noemt de plaats, bijvoorbeeld "
        "elements[2]."
    ),
    oprf.EmptyBatch.code: "De aanvraag bevat geen elementen; stuur er minstens een.",
    oprf.DeriveKeyPairError.code: (
        "De gateway kon uit haar sleutelmateriaal geen pseudoniemsleutel afleiden. Dit is een "
        "configuratiefout aan de kant van de gateway, niet van de aanroeper."
    ),
}

# Every error class whose code can reach a caller. A class missing here has no /problems page;
# tests/test_openapi.py fails for every GatewayError subclass that is not catalogued.
_KINDS: tuple[type[GatewayError], ...] = (
    GatewayError,
    errors.AuthenticationFailed,
    errors.Forbidden,
    errors.PolicyRefused,
    errors.InvalidInput,
    errors.PayloadTooLarge,
    errors.NotFound,
    errors.Conflict,
    errors.Unavailable,
    errors.RateLimited,
    errors.ConfigurationError,
    oprf.OprfError,
    oprf.InvalidInput,
    oprf.InvalidElement,
    oprf.EmptyBatch,
    oprf.DeriveKeyPairError,
)


def _described(kind: type[GatewayError]) -> tuple[int, str, str]:
    """A class's own description, never one inherited from its base: an inherited text would
    describe another problem."""
    description = _DESCRIPTIONS.get(kind.code) or vars(kind).get("description")
    if not isinstance(description, str) or not description:
        raise RuntimeError(f"probleemtype {kind.code} heeft geen beschrijving")
    return kind.status, kind.title, description


# Every problem a caller can receive, code -> (status, Dutch title, Dutch description);
# /problems/{code} and the OpenAPI document read from here.
CATALOGUE: dict[str, tuple[int, str, str]] = {
    **{kind.code: _described(kind) for kind in _KINDS},
    **_HTTP_ONLY,
}


class ProblemType(BaseModel):
    """What ``/problems/{code}`` answers: the page a problem document's ``type`` points to."""

    type: str
    status: int
    title: str
    description: str


def problem_type(code: str) -> ProblemType | None:
    """The catalogue entry for ``code``; None for a code the gateway never returns."""
    if code not in CATALOGUE:
        return None
    status, title, description = CATALOGUE[code]
    return ProblemType(
        type=f"/problems/{code}", status=status, title=title, description=description
    )


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    extra: JsonObject | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: JsonObject = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(GatewayError)
    async def _gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        extra: JsonObject = {}
        headers: dict[str, str] = {}
        if isinstance(exc, InvalidInput | errors.Conflict | errors.PolicyRefused) and exc.errors:
            extra["errors"] = [e.as_dict() for e in exc.errors]
        if isinstance(exc, errors.PolicyRefused):
            extra["policy_revision"] = exc.revision
        if isinstance(exc, errors.Unavailable):
            headers["Retry-After"] = str(exc.retry_after_s)
        if isinstance(exc, errors.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return problem_response(
            exc.status,
            exc.code,
            exc.title,
            exc.detail,
            instance=request.url.path,
            extra=extra,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = field_errors(exc)
        return problem_response(
            422,
            InvalidInput.code,
            InvalidInput.title,
            f"{len(found)} fout(en) in het verzoek",
            instance=request.url.path,
            extra={"errors": [e.as_dict() for e in found]},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            code, detail = errors.NotFound.code, "Deze bron bestaat niet."
        elif exc.status_code == 405:
            code, detail = METHOD_NOT_ALLOWED, "Methode niet toegestaan."
        else:
            code, detail = HTTP_ERROR, "Het verzoek is niet verwerkt."
        title = CATALOGUE[code][1]
        return problem_response(exc.status_code, code, title, detail, instance=request.url.path)

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # An outage (no connection, a lost one, a locked file) is a 503 with Retry-After, so a
        # client retries; any other database error is a bug (500, below).
        down = outage(exc)
        if down is None:
            return await _unexpected(request, exc)
        _log.warning("http.database-unavailable", route=_route(request), problem=type(exc).__name__)
        return await _gateway_error(request, down)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("http.unexpected-error", route=_route(request), exc_info=exc)
        return problem_response(
            500,
            GatewayError.code,
            GatewayError.title,
            "Er ging iets mis in de gateway; de fout is gelogd.",
            instance=request.url.path,
        )


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unmatched")


def parse_body(model_type: type[BaseModelT], request: Request) -> BaseModelT:
    """The signed call's body (``request.state.body``, already read and verified) as
    ``model_type``; an empty body is ``{}``. Invalid input is a located 422."""
    try:
        return model_type.model_validate_json(request.state.body or b"{}")
    except ValidationError as exc:
        raise invalid_input(exc) from None
