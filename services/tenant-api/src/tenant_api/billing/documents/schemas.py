from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field


class EntryKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    REFUND = "refund"


class StatementEntry(BaseModel):
    on: date
    kind: EntryKind
    id: UUID = Field(description="the invoice's, credit note's, payment's or refund's id")
    reference: str = Field(description="the document's number, or the payment's reference")
    description: str
    debit: int = Field(description="what it adds to the balance (minor units)")
    credit: int = Field(description="what it takes off the balance (minor units)")
    balance: int = Field(description="the running balance after it: positive, the customer owes")


class Statement(BaseModel):
    customer_id: UUID
    account_number: str
    name: str
    currency: str
    date_from: date | None = Field(description="null: from the first entry")
    date_to: date
    opening_balance: int = Field(description="the balance before `date_from` (minor units)")
    closing_balance: int = Field(description="the balance at the end of `date_to`")
    entries: list[StatementEntry]


class MailingRead(BaseModel):
    invoice_id: UUID
    reason: str = Field(description="issued (mailed once when issued) or requested")
    to_address: str | None
    queued_at: datetime
    done_at: datetime | None
    outcome: str | None = Field(description="sent (to the mail outbox), or why not")


class StatementRow(BaseModel):
    """A row of the statement as CSV: the opening balance, the entries, the closing one."""

    on: date | None
    kind: str
    reference: str
    description: str
    debit: int
    credit: int
    balance: int


class MailingList(BaseModel):
    mailings: list[MailingRead]
