"""The operator's billing insights, for the operator console: `/api/v1/billing/operator/...`
with the operator token (an ISP's sign-in is refused)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from billing.insights import service
from billing.insights.schemas import Churn, FailedPayments, Health, HealthList, Revenue
from servicekit.http import SessionDep
from servicekit.problems import NotFound

Months = Annotated[int, Query(ge=1, le=36, description="How many months back, this one included")]


def operator_router(operator: Callable[..., None]) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/billing/operator",
        tags=["operator"],
        dependencies=[Depends(operator)],
        responses={401: {"description": "Without the operator token"}},
    )

    @router.get("/revenue")
    async def revenue(session: SessionDep) -> Revenue:
        """MRR and ARR, and the ISPs by tier, status and region."""
        return await service.revenue(session, now=datetime.now(UTC))

    @router.get("/churn")
    async def churn(session: SessionDep, months: Months = 12) -> Churn:
        """ISPs cancelled per calendar month (UTC), against those paying as it began."""
        return await service.churn(session, months=months, now=datetime.now(UTC))

    @router.get("/failed-payments")
    async def failed_payments(session: SessionDep, months: Months = 6) -> FailedPayments:
        """Payments failed and recovered per month, and the accounts unpaid now."""
        return await service.failed_payments(session, months=months, now=datetime.now(UTC))

    @router.get("/health")
    async def health_of_all(
        session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
    ) -> HealthList:
        """Every ISP billing has opened, scored; the least healthy first."""
        return await service.health_of_all(session, limit=limit, now=datetime.now(UTC))

    @router.get("/isps/{isp_id}/health", responses={404: {"description": "No such ISP"}})
    async def health(isp_id: UUID, session: SessionDep) -> Health:
        """The ISP's health score, 0 to 100, and how each factor was scored: payment history
        (35), customer growth over 30 days (25), usage against its cap (20), open tickets per
        100 customers (20)."""
        account = await service.account(session, isp_id)
        if account is None:
            raise NotFound(f"Billing knows no ISP {isp_id}.")
        return await service.health(session, account, now=datetime.now(UTC))

    return router
