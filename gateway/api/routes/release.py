"""Release of a case to the casusoverleg, and packages for their recipients.

Fail closed, in this order: a signal that does not open, a refusing or failing policy engine,
a recipient without an encryption key, a sealing error, an audit entry that cannot be written:
each ends the request before anything is stored, so no package exists afterwards. The release,
its packages, the decision, the case event and the audit entry commit together under the case's
row lock; a second request for the same case (and meeting part) gets the first release back.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gateway.api.problems import parse_body
from gateway.api.routes.cases import CaseId, audit_case
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import Conflict, FieldError, NotFound, PolicyRefused
from gateway.observability.logs import get_logger
from gateway.release.service import prepare
from gateway.storage import cases as case_store
from gateway.storage import decisions, releases

router = APIRouter(tags=["release"])
_log = get_logger("gateway.release")
Caller = Annotated[VerifiedCall, Depends(signed_call())]
WHOLE_MEETING = "geheel"


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting_part: Literal["zorg", "algemeen"] | None = None
    acute_danger: bool = False


def _existing_answer(connection: Connection, release: Any) -> dict[str, Any]:
    by_party = {p.recipient: p.id for p in releases.packages_of_release(connection, release.id)}
    summary = dict(release.summary)
    for party, entry in summary.get("recipients", {}).items():
        entry["package"] = by_party.get(party)
    return {"release": release.id, "existing": True, **summary}


@router.post("/v1/cases/{case_id}/release", summary="Release the case to its participants")
def release_case(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    body: ReleaseRequest = parse_body(ReleaseRequest, request)
    part = body.meeting_part or WHOLE_MEETING
    with rt.engine.connect() as connection:
        case = case_store.load(connection, case_id)
        if case is None:
            raise NotFound("geen casus met dit kenmerk")
        earlier = releases.existing(connection, case_id, part)
        if earlier is not None:
            return _existing_answer(connection, earlier)
        rows = releases.case_signal_rows(connection, case_id)
    now = rt.clock()
    requester = {
        "party": call.party.id,
        "type": call.party.type.value,
        "roles": sorted(r.value for r in call.roles),
        "sub": call.subject,
    }
    prepared = prepare(
        rt,
        case,
        rows,
        requester=requester,
        meeting_part=body.meeting_part,
        acute_danger=body.acute_danger,
        now=now,
    )
    document, decision = prepared.document, prepared.decision
    release_id, sealed, summary, counts = (
        prepared.release_id,
        prepared.packages,
        prepared.summary,
        prepared.counts,
    )

    def record(connection: Connection) -> None:
        decisions.record(
            connection,
            point="release",
            input=document,
            allow=decision.allow,
            reasons=[r.as_dict() for r in decision.reasons],
            revision=decision.revision,
            now=now,
        )

    if not decision.allow:
        with rt.engine.begin() as connection:
            record(connection)
            audit_case(
                rt,
                call,
                connection,
                "case.release_refused",
                case_id,
                {"reasons": sorted(r.code for r in decision.reasons)},
                decision.revision,
            )
        raise PolicyRefused(
            "het convenantbeleid staat deze verstrekking niet toe; er is niets verstrekt",
            [FieldError("case", r.message, r.code, r.basis) for r in decision.reasons],
            revision=decision.revision,
        )
    package_ids = prepared.package_ids
    try:
        with rt.engine.begin() as connection:
            current = case_store.load(connection, case_id, lock=True)
            if current != case:
                raise Conflict("de casus is intussen gewijzigd; vraag de verstrekking opnieuw")
            earlier = releases.existing(connection, case_id, part)
            if earlier is not None:
                return _existing_answer(connection, earlier)
            record(connection)
            releases.store(
                connection,
                release_id=release_id,
                case_id=case_id,
                meeting_part=part,
                requested_by=call.party.id,
                now=now,
                revision=decision.revision,
                summary=summary,
                packages=sealed,
            )
            case_store.record_event(
                connection,
                case_id,
                "release",
                party=call.party.id,
                detail={"release": release_id, **counts},
                revision=decision.revision,
                now=now,
            )
            audit_case(
                rt,
                call,
                connection,
                "case.released",
                case_id,
                {"release": release_id, **counts},
                decision.revision,
            )
    except IntegrityError:
        # A concurrent request stored the release first: that one is the release.
        with rt.engine.connect() as connection:
            earlier = releases.existing(connection, case_id, part)
            if earlier is None:
                raise
            return _existing_answer(connection, earlier)
    _log.info("case.released", party=call.party.id, **counts)
    for party, entry in summary["recipients"].items():
        entry["package"] = package_ids.get(party)
    return {"release": release_id, "existing": False, **summary}


@router.get("/v1/packages", summary="The calling party's packages")
def my_packages(request: Request, call: Caller) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        return {"packages": releases.packages_for_recipient(connection, call.party.id)}


@router.get("/v1/packages/{package_id}", summary="A package, sealed to its recipient")
def get_package(
    request: Request,
    call: Caller,
    package_id: Annotated[str, Path(pattern=r"^pkg-[0-9a-f]{16}$")],
) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.begin() as connection:
        row = releases.package_for(connection, package_id)
        if row is None or row.recipient != call.party.id:
            raise NotFound("geen pakket met dit kenmerk voor uw organisatie")
        releases.mark_fetched(connection, package_id, rt.clock())
        audit_case(
            rt,
            call,
            connection,
            "package.fetched",
            row.case_id,
            {"package": package_id, "release": row.release_id},
            rt.policy.revision,
        )
    return {
        "id": row.id,
        "case": row.case_id,
        "release": row.release_id,
        "recipient": row.recipient,
        "records": row.released,
        "withheld": row.withheld,
        "sealed": base64.urlsafe_b64encode(bytes(row.sealed)).decode().rstrip("="),
    }
