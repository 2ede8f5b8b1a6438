"""Invoices as PDFs and mailed again (basic_billing; mail with automated_billing), and each
customer's statement of account."""

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import Conflict, UnprocessableContent
from tenant_api.billing.documents import mailing, repository, service
from tenant_api.billing.documents.schemas import MailingList, MailingRead, Statement
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    EntitlementsDep,
    TenantApiDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import (
    CSV,
    CSV_RESPONSE,
    EXPORT_PLUGIN,
    ExportDep,
    csv_response,
    wants_csv,
)
from tenant_api.models import InvoiceMailing

PDF = "application/pdf"
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]
router = APIRouter(
    tags=["invoice documents"],
    dependencies=[require_plugin(Plugin.BASIC_BILLING)],
    responses=ERRORS,
)
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}},
}
STATEMENT_RESPONSE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    200: {
        "content": {
            CSV: {"schema": {"type": "string"}},
            PDF: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "JSON; with `Accept: text/csv` (needs basic_reporting) or "
        "`format=csv`, the entries as CSV; with `Accept: application/pdf` or `format=pdf`, "
        "the statement as a PDF",
    },
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Repeat the request with the same key and the mail is sent once",
    ),
]


def _pdf(rendered: service.Rendered) -> Response:
    return Response(
        rendered.content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{rendered.filename}"'},
    )


@router.get("/api/v1/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF_RESPONSE)
async def invoice_pdf(
    invoice_id: UUID, caller: Reader, session: TenantSession, entitlements: EntitlementsDep
) -> Response:
    """The invoice or credit note as a PDF: the ISP's and the customer's details, the lines,
    tax by rate, totals, what was paid and is due, and the payment terms. With white_label it
    carries the ISP's branding."""
    white_label = entitlements.allows(caller.tenant_id, Plugin.WHITE_LABEL)
    rendered = await service.invoice_pdf(
        session, caller.tenant_id, invoice_id, white_label=white_label
    )
    return _pdf(rendered)


def _mailing(found: InvoiceMailing) -> MailingRead:
    return MailingRead.model_validate(found, from_attributes=True)


@router.post(
    "/api/v1/invoices/{invoice_id}/send",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[require_plugin(Plugin.AUTOMATED_BILLING)],
    responses={
        **NOT_FOUND,
        409: {"description": "A draft or void invoice, or the key was used for another"},
        422: {"description": "The customer has no e-mail address"},
    },
)
async def send_invoice(
    invoice_id: UUID,
    caller: Writer,
    work: TenantWork,
    tenant_api: TenantApiDep,
    idempotency_key: IdempotencyKey = None,
) -> MailingRead:
    """Mail the invoice or credit note to its customer again, with its PDF attached
    (automated_billing mails each one once when it is issued)."""
    session = work.session
    if idempotency_key is not None:
        earlier = await repository.mailing_by_key(session, caller.tenant_id, idempotency_key)
        if earlier is not None:
            if earlier.invoice_id != invoice_id:
                raise Conflict("This Idempotency-Key was used to send another invoice.")
            return _mailing(earlier)
    white_label = tenant_api.entitlements.allows(caller.tenant_id, Plugin.WHITE_LABEL)
    try:
        address = await mailing.mail_invoice(
            session, tenant_api.mailer, caller.tenant_id, invoice_id, white_label=white_label
        )
    except mailing.NoAddress as why:
        raise UnprocessableContent(str(why), field="email") from None
    except mailing.NotIssued as why:
        raise Conflict(str(why)) from None
    found = InvoiceMailing(
        tenant_id=caller.tenant_id,
        invoice_id=invoice_id,
        reason="requested",
        idempotency_key=idempotency_key,
        to_address=address,
        queued_at=work.now,
        done_at=work.now,
        outcome=mailing.SENT,
    )
    session.add(found)
    await session.flush()
    return _mailing(found)


@router.get(
    "/api/v1/invoices/{invoice_id}/mailings",
    responses={**NOT_FOUND, **CSV_RESPONSE},
    response_model=MailingList,
)
async def invoice_mailings(
    invoice_id: UUID, caller: Reader, session: TenantSession, export: ExportDep
) -> MailingList | Response:
    """When the invoice was mailed, to whom, or why not (as CSV with `Accept: text/csv`)."""
    invoice = await service.invoice_service.get_invoice(session, invoice_id)
    found = await repository.mailings_of(session, invoice.id)
    listed = MailingList(mailings=[_mailing(m) for m in found])
    return export.respond(listed, listed.mailings, "mailings")


@router.get(
    "/api/v1/customers/{customer_id}/statement",
    response_model=Statement,
    responses=STATEMENT_RESPONSE,
)
async def customer_statement(
    customer_id: UUID,
    request: Request,
    caller: Reader,
    work: TenantWork,
    entitlements: EntitlementsDep,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day; default: from the start")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day; default today")
    ] = None,
    format: Annotated[
        Literal["json", "csv", "pdf"] | None,
        Query(description="instead of the Accept header"),
    ] = None,
) -> Statement | Response:
    """The customer's statement of account: the balance before `from`, each invoice, credit
    note, payment and refund up to `to` in date order with the balance after it, and the
    closing balance. Positive balances are owed by the customer."""
    found = await service.statement(
        work.session,
        caller.tenant_id,
        customer_id,
        date_from=date_from,
        date_to=date_to or work.now.date(),
    )
    accept = request.headers.get("accept", "")
    wanted = format or ("pdf" if PDF in accept else "csv" if wants_csv(request) else "json")
    if wanted == "csv":
        entitlements.require(caller.tenant_id, EXPORT_PLUGIN)
        return csv_response(service.statement_rows(found), f"statement-{found.account_number}")
    if wanted == "pdf":
        white_label = entitlements.allows(caller.tenant_id, Plugin.WHITE_LABEL)
        return _pdf(
            await service.statement_pdf(
                work.session, caller.tenant_id, found, white_label=white_label
            )
        )
    return found
