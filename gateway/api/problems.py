"""RFC 9457 problem details for every error, with a stable ``type`` per error kind.

``type`` is a relative URI, ``/problems/<code>``, which the gateway itself serves as a short
description, so a partner's developer can look a problem up on the gateway they talk to.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway import errors
from gateway.errors import GatewayError, InvalidInput
from gateway.observability.logs import get_logger
from gateway.validation import field_errors, invalid_input

PROBLEM_JSON = "application/problem+json"
BaseModelT = TypeVar("BaseModelT", bound=BaseModel)
_log = get_logger("gateway.api")

# Every problem a caller can receive; the /problems/{code} page reads from here.
CATALOGUE: dict[str, tuple[int, str, str]] = {
    cls.code: (
        cls.status,
        cls.title,
        (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
    )
    for cls in (
        errors.AuthenticationFailed,
        errors.Forbidden,
        errors.PolicyRefused,
        errors.InvalidInput,
        errors.PayloadTooLarge,
        errors.NotFound,
        errors.Conflict,
        errors.Unavailable,
        errors.RateLimited,
        errors.GatewayError,
    )
}
CATALOGUE["method-not-allowed"] = (
    405,
    "Methode niet toegestaan",
    "De methode past niet bij deze bron.",
)

def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
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
        extra: dict[str, Any] = {}
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
            code, title, detail = "not-found", "Niet gevonden", "Deze bron bestaat niet."
        elif exc.status_code == 405:
            code, title, detail = (
                "method-not-allowed",
                "Methode niet toegestaan",
                "Methode niet toegestaan.",
            )
        else:
            code, title, detail = (
                "http-error",
                "Fout in het verzoek",
                "Het verzoek is niet verwerkt.",
            )
        return problem_response(exc.status_code, code, title, detail, instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("http.unexpected-error", route=_route(request), exc_info=exc)
        return problem_response(
            500,
            "internal-error",
            "Interne fout",
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
