"""Invoices and credit notes of the ISP's customers: made by hand, issued, paid, credited or
voided; listed (and exported as CSV) with the bill runs' ones."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.invoices import service
from tenant_api.billing.invoices.schemas import (
    CreditNoteCreate,
    InvoiceCreate,
    InvoiceDetail,
    InvoiceKind,
    InvoicePage,
    InvoiceRead,
    InvoiceStatus,
    LineRead,
    PaymentCreate,
    PaymentRead,
    PaymentRecorded,
    Void,
)
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep
from tenant_api.messagebus import UnitOfWork
from tenant_api.messages import PaymentReceived
from tenant_api.models import Invoice

router = APIRouter(
    prefix="/api/v1/invoices",
    tags=["invoices"],
    dependencies=[require_plugin(Plugin.BASIC_BILLING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Repeat the request with the same key and get the same answer, made once",
    ),
]
REFUSED: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "Not in a state that allows it, or more than is left"},
}


def read(invoice: Invoice, today: date) -> InvoiceRead:
    return InvoiceRead.model_validate(
        {
            **{c: getattr(invoice, c) for c in InvoiceRead.model_fields if hasattr(invoice, c)},
            "status": service.status_on(invoice, today),
            "balance_due": service.balance_due(invoice),
        }
    )


async def detail(work: UnitOfWork, invoice: Invoice) -> InvoiceDetail:
    lines = await service.lines_of(work.session, invoice.id)
    return InvoiceDetail(
        **read(invoice, work.now.date()).model_dump(),
        lines=[LineRead.model_validate(line, from_attributes=True) for line in lines],
    )


def actor(caller: Caller, work: UnitOfWork) -> service.Actor:
    return service.Actor(caller.tenant_id, caller.reference, work.now)


@router.post("", status_code=status.HTTP_201_CREATED, responses=REFUSED)
async def create_invoice(
    spec: InvoiceCreate,
    caller: Writer,
    work: TenantWork,
    idempotency_key: IdempotencyKey = None,
) -> InvoiceDetail:
    """A one-off invoice (installation, equipment...) in the ISP's currency: a draft, or
    issued at once with `issue`. Each line is taxed at its own rate, else the customer's, else
    the ISP's default."""
    invoice = await service.create_invoice(work.session, actor(caller, work), spec, idempotency_key)
    return await detail(work, invoice)


@router.get("", responses=CSV_RESPONSE, response_model=InvoicePage)
async def list_invoices(
    caller: Reader,
    work: TenantWork,
    paging: PagingDep,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    customer_id: UUID | None = None,
    bill_run_id: UUID | None = None,
    period_start: date | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
) -> InvoicePage | Response:
    """Invoices and credit notes, newest first: a page at a time, or all as CSV."""
    today = work.now.date()
    query = service.search(
        today=today,
        status=status,
        kind=kind,
        customer_id=customer_id,
        bill_run_id=bill_run_id,
        period_start=period_start,
        issued_from=issued_from,
        issued_to=issued_to,
    )
    rows, total = await paging.fetch(work.session, query)
    page = paging.page(InvoicePage, [read(r, today) for r in rows], total)
    return paging.respond(page, "invoices")


@router.get("/{invoice_id}", responses=NOT_FOUND)
async def get_invoice(invoice_id: UUID, caller: Reader, work: TenantWork) -> InvoiceDetail:
    """The invoice or credit note with its lines."""
    return await detail(work, await service.get_invoice(work.session, invoice_id))


@router.post("/{invoice_id}/issue", responses=REFUSED)
async def issue_invoice(invoice_id: UUID, caller: Writer, work: TenantWork) -> InvoiceDetail:
    """Give a draft the next invoice number and a due date (after the payment terms)."""
    return await detail(work, await service.issue(work.session, actor(caller, work), invoice_id))


@router.post("/{invoice_id}/void", responses=REFUSED)
async def void_invoice(
    invoice_id: UUID, spec: Void, caller: Writer, work: TenantWork
) -> InvoiceDetail:
    """Cancel a draft, or an issued invoice nothing was paid or credited on. It keeps its
    number, so the sequence has no gaps. A bill run does not invoice its period again."""
    invoice = await service.void(work.session, actor(caller, work), invoice_id, spec.reason)
    return await detail(work, invoice)


@router.post("/{invoice_id}/credit-notes", status_code=status.HTTP_201_CREATED, responses=REFUSED)
async def credit_invoice(
    invoice_id: UUID, spec: CreditNoteCreate, caller: Writer, work: TenantWork
) -> InvoiceDetail:
    """Issue a credit note against some of the invoice's lines (or all that is left of them),
    taxed as they were; the invoice's balance goes down by its total."""
    note = await service.credit(work.session, actor(caller, work), invoice_id, spec)
    return await detail(work, note)


@router.post("/{invoice_id}/payments", status_code=status.HTTP_201_CREATED, responses=REFUSED)
async def record_payment(
    invoice_id: UUID,
    spec: PaymentCreate,
    caller: Writer,
    work: TenantWork,
    idempotency_key: IdempotencyKey = None,
) -> PaymentRecorded:
    """Record cash or a bank transfer against the invoice, up to its balance due. (To pay a
    customer's invoices oldest first, with any overpayment kept as credit, or by card: POST
    /api/v1/customers/{id}/payments.)"""
    payment, invoice = await service.record_payment(
        work.session, actor(caller, work), invoice_id, spec, idempotency_key
    )
    # As a payment to the account: dunning reactivates a customer it suspended once paid up.
    work.record(PaymentReceived(payment.customer_id, payment.id, caller.reference))
    return PaymentRecorded(
        payment=PaymentRead.model_validate(payment, from_attributes=True),
        invoice=read(invoice, work.now.date()),
    )
