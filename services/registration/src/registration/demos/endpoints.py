from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from registration.demos import service
from registration.demos.schemas import DemoRead, DemoRequest
from registration.isps import service as isps
from registration.isps.schemas import IspRegistration, RegistrationAccepted
from servicekit.http import RuntimeDep

router = APIRouter(prefix="/api/v1/demos", tags=["demos"])


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
    body: DemoRequest, runtime: RuntimeDep, request: Request, response: Response
) -> DemoRead:
    """Try DotMac for a week on sample data. The demo opens in moments (follow it at
    `status_url`); its owner gets a welcome email to sign in. Each sign-in keeps it a week
    longer; an unused demo gets a reminder, then is removed a week later."""
    async with runtime.db.unit_of_work() as session:
        demo = await service.request_demo(
            session,
            runtime.outbox,
            body,
            address=request.client.host if request.client else None,
            per_hour=request.app.state.settings.demos_per_address_per_hour,
        )
        answer = service.read(demo)
    response.headers["Location"] = answer.status_url
    return answer


@router.get("/{demo_id}", responses={404: {"description": "No such demo"}})
async def get_demo(demo_id: UUID, runtime: RuntimeDep) -> DemoRead:
    async with runtime.db.unit_of_work() as session:
        return service.read(await service.get_demo(session, demo_id))


@router.post(
    "/{demo_id}/convert",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        404: {"description": "No such demo"},
        409: {"description": "The demo is not open, or the domain or company is registered"},
        422: {"description": "Invalid fields, listed per field"},
    },
)
async def convert_demo(
    demo_id: UUID, body: IspRegistration, runtime: RuntimeDep, request: Request, response: Response
) -> RegistrationAccepted:
    """Make the demo a paid ISP: the registration of any ISP, onboarded as usual, which takes
    the demo's tenant and its data over (its id stays the demo's)."""
    async with runtime.db.unit_of_work() as session:
        await service.convertible(session, demo_id)
        accepted = await isps.register_isp(
            session,
            runtime.outbox,
            body,
            provider=request.app.state.settings.provider_for(body.region),
            isp_id=demo_id,
        )
    response.headers["Location"] = accepted.status_url
    return accepted
