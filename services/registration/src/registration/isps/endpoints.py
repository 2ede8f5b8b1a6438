from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from sqlalchemy.exc import IntegrityError

from registration.deps import SettingsDep
from registration.isps import service
from registration.isps.schemas import IspRegistration, RegistrationAccepted
from servicekit.http import RuntimeDep
from servicekit.problems import BadRequest

router = APIRouter(prefix="/api/v1/isp", tags=["isp"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a request with the same key to get the first answer, not a second ISP",
    ),
]


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        400: {"description": "Malformed JSON or Idempotency-Key"},
        409: {"description": "The domain or the company is already registered"},
        415: {"description": "The body is not JSON"},
        422: {"description": "Invalid fields, listed per field"},
    },
)
async def register_isp(
    body: IspRegistration,
    runtime: RuntimeDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RegistrationAccepted:
    """Sign up an ISP. Onboarding starts at once; follow it at `status_url`."""
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= 255 and idempotency_key.isprintable()
    ):
        raise BadRequest("Idempotency-Key must be 1-255 printable characters.")
    for attempt in range(3):
        try:
            async with runtime.db.unit_of_work() as session:
                accepted = await service.register_isp(
                    session,
                    runtime.outbox,
                    body,
                    provider=settings.provider_for(body.region),
                    idempotency_key=idempotency_key,
                )
            break
        except IntegrityError:
            # A concurrent request took the same key, domain, company or slug between our check
            # and our insert. Going round again answers as the winner's repeat or as a conflict.
            if attempt == 2:
                raise
    response.headers["Location"] = accepted.status_url
    return accepted
