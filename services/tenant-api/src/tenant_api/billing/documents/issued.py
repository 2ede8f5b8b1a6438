"""What issuing tells the mailer: the invoice numbers just taken. Every issue (by hand, a
credit note, a bill run) takes its numbers in one place (`settings.repository.
take_invoice_numbers`), so recording them there misses none; a rollback takes the record back
with the numbers. Imports nothing of billing, so the settings can call it."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.notify import notify
from tenant_api.models import IssuedInvoiceNumbers

CHANNEL = "invoice_mailings"


async def numbers_taken(session: AsyncSession, tenant_id: UUID, first: int, n: int) -> None:
    """Mail the invoices numbered `first` to `first + n - 1` once this transaction commits."""
    if n <= 0:
        return
    session.add(
        IssuedInvoiceNumbers(
            tenant_id=tenant_id,
            next_number=first,
            last_number=first + n - 1,
            issued_at=datetime.now(UTC),
        )
    )
    await notify(session, CHANNEL)


async def not_to_mail(session: AsyncSession, tenant_id: UUID) -> None:
    """Mail none of the invoices issued so far in this transaction (sample data's history)."""
    await session.execute(
        update(IssuedInvoiceNumbers)
        .where(
            IssuedInvoiceNumbers.tenant_id == tenant_id,
            IssuedInvoiceNumbers.next_number <= IssuedInvoiceNumbers.last_number,
        )
        .values(next_number=IssuedInvoiceNumbers.last_number + 1)
    )
