"""Invoices mailed to their customers, with the PDF attached: once when issued (with
automated_billing), and again when someone asks.

Issuing records the numbers it took (`documents.issued`, in the issuing transaction: a bill
run of thousands adds one row and draws nothing). The mailer, one per replica, claims each
ISP's numbers still to mail (FOR UPDATE SKIP LOCKED), draws each invoice's PDF and queues its
mail in the mail outbox in the same transaction as it records the mailing (unique per
invoice) and moves past its number, so an invoice is mailed once however often its issue is
repeated or a replica dies half-way; the mail outbox delivers it. An invoice issued more than
`STALE` before the mailer reaches it (sample data's history, or a mailer down for long) is not
mailed out of the blue: someone can send it.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.mail import Attachment, Mailer
from servicekit.notify import listen
from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait
from tenant_api.billing.documents import layout, pdf, repository, service
from tenant_api.billing.documents.issued import CHANNEL
from tenant_api.models import Invoice, InvoiceMailing
from tenant_api.tenancy.entitlements.store import EntitlementStore

log = logging.getLogger(__name__)
STALE = timedelta(days=7)
SENT = "sent"


class NotMailable(Exception):
    """Why an invoice cannot be mailed, in words for the person who asked."""


class NotIssued(NotMailable):
    pass


class NoAddress(NotMailable):
    pass


async def mail_invoice(
    session: AsyncSession,
    mailer: Mailer,
    tenant_id: UUID,
    invoice_id: UUID,
    *,
    white_label: bool,
) -> str:
    """Queue the invoice's mail with its PDF: the address it goes to. NotMailable if the
    invoice is a draft or void, or its customer has no e-mail address."""
    invoice, document, brand, customer = await service.invoice_document(
        session, tenant_id, invoice_id, white_label=white_label
    )
    if invoice.status in ("draft", "void") or invoice.number is None:
        raise NotIssued(f"The invoice is {invoice.status}: only an issued one is mailed.")
    if not customer.email:
        raise NoAddress(f"Customer {customer.account_number} has no e-mail address.")
    content = await asyncio.to_thread(pdf.invoice_pdf, document, brand, customer)
    await mailer.queue_with_attachments(
        session,
        to=customer.email,
        subject=f"{document.title} {invoice.number} from {brand.name}",
        body=_body(invoice, document, brand, customer),
        attachments=(Attachment(service.filename(invoice), "application/pdf", content),),
    )
    return customer.email


def _body(
    invoice: Invoice, document: layout.InvoiceDocument, brand: layout.Brand, to: layout.Party
) -> str:
    money = layout.money
    if invoice.kind == "credit_note":
        what = (
            f"Attached is credit note {invoice.number} of {money(invoice.total, invoice.currency)}"
            f", which reduces the amount due on invoice {document.refers_to}."
        )
    elif document.balance_due > 0:
        what = (
            f"Attached is invoice {invoice.number} of {money(invoice.total, invoice.currency)}. "
            f"Amount due: {money(document.balance_due, invoice.currency)}, by "
            f"{invoice.due_on:%d %B %Y}."
        )
    else:
        what = (
            f"Attached is invoice {invoice.number} of {money(invoice.total, invoice.currency)}"
            ", paid in full. Thank you."
        )
    return f"Hello {to.name},\n\n{what}\n\nAccount: {to.account_number}\n\n{brand.name}\n"


class InvoiceMailer:
    """Mails the invoices recorded as issued, for every ISP, as they are recorded."""

    def __init__(
        self, entitlements: EntitlementStore, mailer: Mailer, interval_s: float = 30
    ) -> None:
        self.entitlements, self.mailer, self.interval_s = entitlements, mailer, interval_s
        self._wake = asyncio.Event()

    async def tick(self, runtime: Runtime, now: datetime | None = None, batch: int = 20) -> int:
        """Mail up to `batch` issued invoices of each of up to 50 ISPs: how many were dealt
        with (mailed, or recorded as not mailed and why)."""
        now = now or datetime.now(UTC)
        async with runtime.db.unit_of_work() as session:
            tenants = await repository.pending_tenants(session, 50)
        done = 0
        for tenant_id in tenants:
            white_label = self.entitlements.allows(tenant_id, Plugin.WHITE_LABEL)
            allowed = self.entitlements.allows(tenant_id, Plugin.AUTOMATED_BILLING)
            async with runtime.db.unit_of_work(tenant=tenant_id) as session:
                left = batch
                for block in await repository.claim_blocks(session, tenant_id, 5):
                    found = await repository.numbered(
                        session, block.next_number, block.last_number, left
                    )
                    for invoice in found:
                        await self._mail_once(session, invoice, now, allowed, white_label)
                        block.next_number = (invoice.sequence_number or 0) + 1
                    if len(found) < left:  # the rest of the block has no invoices
                        block.next_number = block.last_number + 1
                    left -= len(found)
                    done += len(found) or 1
                    if left <= 0:
                        break
        return done

    async def _mail_once(
        self,
        session: AsyncSession,
        invoice: Invoice,
        now: datetime,
        allowed: bool,
        white_label: bool,
    ) -> None:
        record = InvoiceMailing(
            tenant_id=invoice.tenant_id, invoice_id=invoice.id, queued_at=now, done_at=now
        )
        if not allowed:
            record.outcome = "not sent: the ISP's licence has no automated_billing"
        elif invoice.issued_on is None or invoice.issued_on < (now - STALE).date():
            record.outcome = f"not sent: issued on {invoice.issued_on}, over a week before"
        else:
            record.outcome = SENT
        if not await repository.first_mailing(session, record):
            return  # mailed already: the issue was repeated
        if record.outcome != SENT:
            return
        try:
            async with session.begin_nested():
                address: str | None = await mail_invoice(
                    session, self.mailer, invoice.tenant_id, invoice.id, white_label=white_label
                )
        except NotMailable as why:
            outcome, address = f"not sent: {why}"[:300], None
        except Exception:  # this one invoice: the others go out; it is not retried
            log.exception("mailing invoice %s failed", invoice.id)
            outcome, address = "not sent: drawing or queueing it failed", None
        else:
            outcome = SENT
        await repository.set_outcome(session, invoice.id, outcome, address)

    async def run(self, runtime: Runtime) -> None:
        listener = asyncio.create_task(listen(runtime.db, CHANNEL, lambda _: self._wake.set()))
        try:
            while True:
                self._wake.clear()
                try:
                    while await self.tick(runtime):
                        pass
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("mailing issued invoices failed; trying again", exc_info=True)
                try:
                    async with asyncio.timeout(self.interval_s):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            await cancel_and_wait(listener)

    @asynccontextmanager
    async def kept_running(self, runtime: Runtime) -> AsyncIterator[None]:
        task = runtime.spawn(self.run(runtime), "invoice-mailer")
        yield
        await cancel_and_wait(task)
