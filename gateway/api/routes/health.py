"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from gateway.api.problems import ProblemType, problem_response
from gateway.api.problems import problem_type as describe_problem
from gateway.api.security import runtime
from gateway.errors import NotFound, Unavailable
from gateway.jsontypes import JsonObject
from gateway.service.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database and keys are usable", response_model=None)
async def readyz(request: Request) -> JsonObject | Response:
    found = await run_in_threadpool(readiness, runtime(request))
    if found.ready and found.degraded:
        return {"status": "degraded", "checks": found.checks, "problems": list(found.problems)}
    if found.ready:
        return {"status": "ready", "checks": found.checks}
    return problem_response(
        503,
        Unavailable.code,
        Unavailable.title,
        "gateway is niet gereed",
        extra={"checks": found.checks},
        headers={"Retry-After": "5"},
    )


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    return Response(runtime(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/problems/{code}",
    summary="What a problem type means (Dutch title and description)",
    response_model=ProblemType,
)
def problem_type(code: str) -> ProblemType:
    # A plain str, not an enum: an unknown code is a 404 problem like any unknown page, not a 422.
    # The OpenAPI document still lists the codes (gateway.api.openapi).
    found = describe_problem(code)
    if found is None:
        raise NotFound("onbekend probleemtype")
    return found
