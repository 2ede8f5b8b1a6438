"""Service-to-service reads of an ISP's account (the operator console and tests)."""

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from billing.accounts import service
from billing.usage import service as usage
from servicekit.http import SessionDep
from servicekit.problems import NotFound


class AccountRead(BaseModel):
    isp_id: UUID
    company_name: str
    tier: str
    billing_period: str
    status: str
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    customers: int
    customer_cap: int | None
    registered_at: datetime
    opened_at: datetime | None
    status_changed_at: datetime


class UsageDayRead(BaseModel):
    day: date
    customers: int


class UsageRead(BaseModel):
    days: list[UsageDayRead]


def internal_router(caller: Callable[..., None]) -> APIRouter:
    internal = APIRouter(
        prefix="/internal/v1/billing", tags=["internal"], dependencies=[Depends(caller)]
    )

    @internal.get("/isps/{isp_id}", responses={404: {"description": "No such ISP"}})
    async def get_account(isp_id: UUID, session: SessionDep) -> AccountRead:
        account = await service.account_of(session, isp_id)
        if account is None:
            raise NotFound(f"Billing knows no ISP {isp_id}.")
        return AccountRead.model_validate(account, from_attributes=True)

    @internal.get("/isps/{isp_id}/usage", responses={404: {"description": "No such ISP"}})
    async def get_usage(isp_id: UUID, session: SessionDep) -> UsageRead:
        """The ISP's customers per day (the day's highest count), oldest first."""
        if await service.account_of(session, isp_id) is None:
            raise NotFound(f"Billing knows no ISP {isp_id}.")
        found = await usage.days(session, isp_id)
        return UsageRead(days=[UsageDayRead(day=d.day, customers=d.customers) for d in found])

    return internal
