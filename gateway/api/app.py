"""The FastAPI application factory."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from gateway import __version__
from gateway.api import openapi, problems
from gateway.api.routes import (
    audit,
    cases,
    embargoes,
    gateway_info,
    health,
    hits,
    pseudonyms,
    release,
    signals,
    stats,
)
from gateway.observability.logs import get_logger
from gateway.runtime import Runtime

_log = get_logger("gateway.http")


def create_app(rt: Runtime) -> FastAPI:
    """An app bound to one runtime; tests build as many as they need."""
    app = FastAPI(
        title="Gateway mensenhandel",
        version=__version__,
        description="Pseudonymised signal sharing for a regional covenant against trafficking.",
        # `/v1/signals/` is not `/v1/signals`: a 404, never a redirect that an unauthenticated
        # caller is answered with (and a client may follow with its token to another target).
        redirect_slashes=False,
    )
    app.state.runtime = rt
    problems.install(app)
    app.include_router(health.router)
    app.include_router(gateway_info.router)
    app.include_router(pseudonyms.router)
    app.include_router(signals.router)
    app.include_router(hits.router)
    app.include_router(stats.router)
    app.include_router(cases.router)
    app.include_router(release.router)
    app.include_router(embargoes.router)
    app.include_router(audit.router)
    # Last: the contract is completed from the routes registered above.
    openapi.install(app)

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        # The route template, never the raw path or query: those can carry refs and filters.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        rt.metrics.requests.labels(request.method, route, str(response.status_code)).observe(
            elapsed
        )
        _log.info(
            "http.request",
            method=request.method,
            route=route,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
        )
        return response

    return app
