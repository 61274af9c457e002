"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from gateway.api.problems import CATALOGUE, problem_response
from gateway.api.security import runtime
from gateway.errors import ConfigurationError, NotFound, Unavailable
from gateway.storage.database import ping

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database and keys are usable", response_model=None)
async def readyz(request: Request) -> dict[str, Any] | Response:
    rt = runtime(request)
    checks: dict[str, str] = {}
    try:
        await run_in_threadpool(ping, rt.engine)
        checks["database"] = "ok"
    except Unavailable:
        checks["database"] = "unavailable"
    checks["keys"] = "ok" if rt.keyring.parties else "no party keys loaded"
    try:
        # The key adapters seal to (public and private half live in one file in the key store).
        rt.release_keys.current(rt.clock())
        checks["release_key"] = "ok"
    except ConfigurationError:
        checks["release_key"] = "no current release key"
    try:
        await run_in_threadpool(rt.policy.check_ready)
        checks["policy"] = "ok"
    except Unavailable:
        checks["policy"] = "unavailable"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ready", "checks": checks}
    return problem_response(
        503,
        Unavailable.code,
        Unavailable.title,
        "gateway is niet gereed",
        extra={"checks": checks},
        headers={"Retry-After": "5"},
    )


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    return Response(runtime(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/problems/{code}", summary="What a problem type means")
def problem_type(code: str) -> dict[str, Any]:
    if code not in CATALOGUE:
        raise NotFound("onbekend probleemtype")
    status, title, description = CATALOGUE[code]
    return {
        "type": f"/problems/{code}",
        "status": status,
        "title": title,
        "description": description,
    }
