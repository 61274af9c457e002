"""The signed-call dependency: read the exact body, verify the token, audit every refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import AuthenticationFailed, Forbidden, PayloadTooLarge
from gateway.observability.logs import get_logger
from gateway.runtime import Runtime
from gateway.vocabulary import Role

_log = get_logger("gateway.auth")


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


async def read_body(request: Request, limit: int) -> bytes:
    """The exact bytes, refused past ``limit`` without reading the rest into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"verzoek groter dan {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"verzoek groter dan {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def request_target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _record_refusal(rt: Runtime, request: Request, exc: AuthenticationFailed) -> None:
    claimed = rt.verifier.claimed_party(request.headers.get("authorization"))
    route = getattr(request.scope.get("route"), "path", "unmatched")
    audit.record(
        rt.engine,
        AuditEvent(
            event="auth.refused",
            object={"route": route, "method": request.method},
            detail={"reason": exc.reason, "claimed_party": claimed},
            policy_revision=rt.policy.revision,
        ),
        now=rt.clock(),
    )
    rt.metrics.refusals.labels(problem=exc.code).inc()
    _log.warning("auth.refused", reason=exc.reason, party=claimed, route=route)


def signed_call(*required: Role) -> Callable[[Request], Awaitable[VerifiedCall]]:
    """Dependency factory: a verified call holding at least one of ``required`` roles."""

    async def dependency(request: Request) -> VerifiedCall:
        rt = runtime(request)
        body = await read_body(request, rt.settings.max_body_bytes)
        try:
            call = await run_in_threadpool(
                rt.verifier.verify,
                authorization=request.headers.get("authorization"),
                method=request.method,
                target=request_target(request),
                body=body,
            )
        except AuthenticationFailed as exc:
            await run_in_threadpool(_record_refusal, rt, request, exc)
            raise
        if required and not any(call.has_role(role) for role in required):
            rt.metrics.refusals.labels(problem=Forbidden.code).inc()
            raise Forbidden("deze rol mag deze bewerking niet uitvoeren")
        request.state.body = body
        return call

    return dependency
