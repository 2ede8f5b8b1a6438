"""Who owns the endpoints a request is about: an ISP (its owner, an admin, or an API key with
the `webhooks:manage` scope, as the ISP framework says) or the platform's operator."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

from dotmac_contracts.public import Audience
from servicekit.problems import Forbidden, Unauthorized

MANAGE = "webhooks:manage"


@dataclass(frozen=True)
class Owner:
    tenant_id: UUID | None
    """The ISP; None for the operator."""
    audience: Audience
    who: str
    """Who acts: `user:<id>`, `api_key:<id>` or `operator`."""


async def isp_owner(
    isp_id: UUID,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Owner:
    if authorization is None:
        raise Unauthorized(
            "Sign in to the ISP (or use one of its API keys) and send `Authorization: Bearer "
            "<token or key>`."
        )
    caller = await request.state.webhooks.sign_ins.caller(authorization, isp_id)
    if caller is None:
        raise Unauthorized("This is not a sign-in or API key of this ISP.")
    if MANAGE not in caller.permissions:
        raise Forbidden(
            "Webhooks are managed by the ISP's owner and admins, and by API keys with the "
            f"`{MANAGE}` scope.",
            permission=MANAGE,
        )
    return Owner(isp_id, Audience.ISP, caller.reference)


def operator_owner(check: object) -> object:
    """The operator's routes: `check` is servicekit's operator-token dependency."""

    async def owner(_: Annotated[None, Depends(check)]) -> Owner:  # type: ignore[arg-type]
        return Owner(None, Audience.PLATFORM, "operator")

    return owner
