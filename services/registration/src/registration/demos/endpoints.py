from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from registration.demos import service
from registration.demos.schemas import DemoRead, DemoRequest
from registration.deps import SettingsDep
from registration.isps import service as isps
from registration.isps.schemas import IspRegistration, RegistrationAccepted
from servicekit.http import OutboxDep, RuntimeDep, SessionDep
from servicekit.signins import SignIns

router = APIRouter(prefix="/api/v1/demos", tags=["demos"])
bearer = HTTPBearer(auto_error=False)


async def owner_of_demo(
    settings: SettingsDep, demo_id: UUID, credentials: HTTPAuthorizationCredentials | None
) -> None:
    """Ask the ISP framework whose sign-in the token is: it must be the demo tenant's owner."""
    await SignIns(settings.platform.tenant_api_url).owner(
        credentials.credentials if credentials else None, demo_id, what="make the demo a paid ISP"
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        409: {"description": "This email has a demo running already"},
        422: {"description": "Invalid fields, listed per field"},
        429: {"description": "Too many demos asked for from this address in the last hour"},
    },
)
async def request_demo(
    body: DemoRequest,
    session: SessionDep,
    outbox: OutboxDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> DemoRead:
    """Try DotMac for a week on sample data. The demo opens in moments (follow it at
    `status_url`); its owner gets a welcome email to sign in. Each sign-in keeps it a week
    longer; an unused demo gets a reminder, then is removed a week later."""
    demo = await service.request_demo(
        session,
        outbox,
        body,
        address=request.client.host if request.client else None,
        per_hour=settings.demos_per_address_per_hour,
    )
    answer = service.read(demo)
    response.headers["Location"] = answer.status_url
    return answer


@router.get("/{demo_id}", responses={404: {"description": "No such demo"}})
async def get_demo(demo_id: UUID, session: SessionDep) -> DemoRead:
    """Where a demo stands: its state, its address once open, and when it ends."""
    return service.read(await service.get_demo(session, demo_id))


@router.post(
    "/{demo_id}/convert",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        401: {"description": "Not signed in as the demo's owner"},
        403: {"description": "Signed in to the demo, but not as its owner"},
        404: {"description": "No such demo"},
        409: {"description": "The demo is not open, or the domain or company is registered"},
        422: {"description": "Invalid fields, listed per field"},
    },
)
async def convert_demo(
    demo_id: UUID,
    body: IspRegistration,
    runtime: RuntimeDep,
    settings: SettingsDep,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> RegistrationAccepted:
    """Make the demo a paid ISP: the registration of any ISP, onboarded as usual, which takes
    the demo's tenant and its data over (its id stays the demo's). Only the demo's owner may:
    send the access token of their sign-in to the demo."""
    async with runtime.db.unit_of_work() as session:
        await service.get_demo(session, demo_id)
    await owner_of_demo(settings, demo_id, credentials)
    async with runtime.db.unit_of_work() as session:
        await service.convertible(session, demo_id)
        accepted = await isps.register_isp(
            session,
            runtime.outbox,
            body,
            provider=settings.provider_for(body.region),
            isp_id=demo_id,
        )
    response.headers["Location"] = accepted.status_url
    return accepted
