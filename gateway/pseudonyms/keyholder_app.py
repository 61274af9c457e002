"""The key holder as its own process (``gateway keyholder serve``).

It holds the OPRF master seed and nothing else: no database, no signal data, no partner keys. The
gateway reaches it with a shared bearer secret over loopback or a private network; it answers
evaluations and logs counts only.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from gateway.crypto import b64u, unb64u
from gateway.errors import InvalidInput
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.pseudonyms.keyholder import LocalKeyHolder

_log = get_logger("gateway.keyholder")


class _Evaluate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str
    elements: Annotated[list[str], Field(min_length=1, max_length=100_000)]


def create_keyholder_app(holder: LocalKeyHolder, *, token: str) -> FastAPI:
    if len(token) < 32:
        raise ValueError("the key holder's shared secret must be at least 32 characters")
    app = FastAPI(title="Sleutelhouder pseudoniemen", openapi_url=None, docs_url=None)
    expected = f"Bearer {token}".encode()

    def _authorise(authorization: str | None) -> None:
        if not hmac.compare_digest((authorization or "").encode(), expected):
            _log.warning("keyholder.refused")
            raise HTTPException(status_code=401)

    @app.get("/domains")
    def domains(authorization: Annotated[str | None, Header()] = None) -> JsonObject:
        _authorise(authorization)
        return {"domains": holder.domains()}

    @app.post("/evaluate")
    def evaluate(
        body: _Evaluate, authorization: Annotated[str | None, Header()] = None
    ) -> JsonObject:
        _authorise(authorization)
        if body.domain not in holder.domains():
            return {"unknown_domain": True}
        try:
            elements = [unb64u(e) for e in body.elements]
            evaluated = holder.evaluate(domain=body.domain, elements=elements)
        except ValueError:
            return {"refused_index": 0}
        except InvalidInput as exc:
            index = int(exc.errors[0].location.split("[")[1].rstrip("]"))
            return {"refused_index": index}
        _log.info("keyholder.evaluated", count=len(evaluated))
        return {"evaluated": [b64u(e) for e in evaluated]}

    return app
