"""The ISP's billing settings, its tax rates, and each customer's own tax."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.settings import service
from tenant_api.billing.settings.schemas import (
    BillingSettingsRead,
    BillingSettingsUpdate,
    CustomerBillingRead,
    CustomerBillingUpdate,
    TaxRateCreate,
    TaxRateList,
    TaxRateRead,
)
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, ExportDep

router = APIRouter(
    tags=["billing settings"],
    dependencies=[require_plugin(Plugin.BASIC_BILLING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]


@router.get("/api/v1/billing/settings")
async def get_settings(caller: Reader, session: TenantSession) -> BillingSettingsRead:
    """The ISP's billing settings (the defaults until it sets its own)."""
    return await service.read_settings(session, caller.tenant_id)


@router.put(
    "/api/v1/billing/settings",
    responses={409: {"description": "Invoices exist in the current currency"}},
)
async def put_settings(
    change: BillingSettingsUpdate, caller: Writer, work: TenantWork
) -> BillingSettingsRead:
    """Set the currency, default tax, invoice number prefix, payment terms and billing day,
    and whether each period is billed automatically the day after it ends (needs
    automated_billing when the day comes). Numbering continues where it was; the currency is
    fixed once invoices exist."""
    return await service.update_settings(work.session, caller.tenant_id, change, now=work.now)


@router.post(
    "/api/v1/billing/tax-rates",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "A tax rate has that name"}},
)
async def create_tax_rate(spec: TaxRateCreate, caller: Writer, work: TenantWork) -> TaxRateRead:
    """Add a tax rate, to use as the default, on plans, or on customers."""
    rate = await service.create_tax_rate(work.session, caller.tenant_id, spec, now=work.now)
    return TaxRateRead.model_validate(rate, from_attributes=True)


@router.get("/api/v1/billing/tax-rates", responses=CSV_RESPONSE, response_model=TaxRateList)
async def list_tax_rates(
    caller: Reader, session: TenantSession, export: ExportDep
) -> TaxRateList | Response:
    """The ISP's tax rates (as CSV with `Accept: text/csv`)."""
    rates = await service.tax_rates(session)
    listed = TaxRateList(
        tax_rates=[TaxRateRead.model_validate(r, from_attributes=True) for r in rates]
    )
    return export.respond(listed, listed.tax_rates, "tax-rates")


@router.get("/api/v1/customers/{customer_id}/billing", responses=NOT_FOUND)
async def get_customer_billing(
    customer_id: UUID, caller: Reader, session: TenantSession
) -> CustomerBillingRead:
    found = await service.customer_billing(session, customer_id)
    return CustomerBillingRead(
        customer_id=customer_id, tax_rate_id=found.tax_rate_id if found else None
    )


@router.put("/api/v1/customers/{customer_id}/billing", responses=NOT_FOUND)
async def put_customer_billing(
    customer_id: UUID, change: CustomerBillingUpdate, caller: Writer, work: TenantWork
) -> CustomerBillingRead:
    """The customer's own tax, over its plans' and the ISP's default (a 0% rate: exempt)."""
    found = await service.update_customer_billing(
        work.session, caller.tenant_id, customer_id, change, now=work.now
    )
    return CustomerBillingRead(customer_id=customer_id, tax_rate_id=found.tax_rate_id)
