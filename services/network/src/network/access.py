"""Who may use network's ISP routes: the ISP's own people and API keys (tenant-api says who a
bearer is), on a tier with network monitoring, with `network:read` to look and `network:write`
to change settings or acknowledge alerts."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

from servicekit.problems import Forbidden, Unauthorized
from servicekit.signins import Caller


async def isp_caller(
    isp_id: UUID, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Caller:
    if authorization is None:
        raise Unauthorized("Sign in to the ISP (or use an API key) and send it as a Bearer token.")
    caller = await request.state.network.sign_ins.caller(authorization, isp_id)
    if caller is None:
        raise Unauthorized("This is not a sign-in or API key of this ISP.")
    if "network_monitoring" not in caller.plugins:
        raise Forbidden(
            "Network monitoring needs the network_monitoring plugin: the premium tier and above.",
            required_tier="premium",
        )
    return caller


async def isp_reader(isp_id: UUID, caller: Annotated[Caller, Depends(isp_caller)]) -> UUID:
    if "network:read" not in caller.permissions:
        raise Forbidden("This sign-in or key may not read the network.", permission="network:read")
    return isp_id


async def isp_writer(isp_id: UUID, caller: Annotated[Caller, Depends(isp_caller)]) -> Caller:
    if "network:write" not in caller.permissions:
        raise Forbidden(
            "This sign-in or key may not change network settings.", permission="network:write"
        )
    return caller


Reader = Annotated[UUID, Depends(isp_reader)]
"""The ISP, once the caller may read its network."""
Writer = Annotated[Caller, Depends(isp_writer)]
"""The caller, once it may change the ISP's network settings."""
