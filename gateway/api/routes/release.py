"""Release of a case to the casusoverleg, and packages for their recipients.

Each route authenticates, parses its body and calls one use case: ``release_case``
(:mod:`gateway.release.service`, which fails closed and commits the release, its packages, the
decision, the case event and the audit entry together), ``list_packages`` or ``fetch_package``
(:mod:`gateway.release.packages_service`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict

from gateway.api.problems import parse_body
from gateway.api.routes.cases import CaseId
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.jsontypes import JsonObject
from gateway.release import packages_service, service
from gateway.service.actor import Actor

router = APIRouter(tags=["release"])
Caller = Annotated[VerifiedCall, Depends(signed_call())]


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting_part: Literal["zorg", "algemeen"] | None = None
    acute_danger: bool = False


@router.post("/v1/cases/{case_id}/release", summary="Release the case to its participants")
def release_case(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: ReleaseRequest = parse_body(ReleaseRequest, request)
    return service.release_case(
        runtime(request),
        actor=Actor.of(call),
        case_id=case_id,
        meeting_part=body.meeting_part,
        acute_danger=body.acute_danger,
    ).as_dict()


@router.get("/v1/packages", summary="The calling party's packages")
def my_packages(request: Request, call: Caller) -> JsonObject:
    return {"packages": packages_service.list_packages(runtime(request), actor=Actor.of(call))}


@router.get("/v1/packages/{package_id}", summary="A package, sealed to its recipient")
def get_package(
    request: Request,
    call: Caller,
    package_id: Annotated[str, Path(pattern=r"^pkg-[0-9a-f]{16}$")],
) -> JsonObject:
    return packages_service.fetch_package(
        runtime(request), actor=Actor.of(call), package_id=package_id
    ).as_dict()
