"""The arithmetic of allocation, without I/O: how a payment spreads over a customer's open
invoices, and how a refund takes money back. `payments.ledger` applies it to the rows; the
property tests hold it to its promises."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Owed:
    """An open invoice and what is left to pay on it."""

    invoice_id: UUID
    balance: int


@dataclass(frozen=True)
class Applied:
    """So much of a payment went (or goes back) to an invoice."""

    invoice_id: UUID
    amount: int


def allocate(amount: int, owed: Sequence[Owed]) -> tuple[list[Applied], int]:
    """Spread `amount` over `owed` in its order (the oldest invoice first), paying each in full
    before the next: what goes to each invoice, and what is left over (the customer's credit)."""
    if amount < 0:
        raise ValueError("a payment is never negative")
    applied = []
    left = amount
    for invoice in owed:
        if left == 0:
            break
        share = min(left, max(invoice.balance, 0))
        if share:
            applied.append(Applied(invoice.invoice_id, share))
            left -= share
    return applied, left


def unwind(refund: int, unallocated: int, allocated: Sequence[Applied]) -> list[Applied]:
    """What a refund of `refund` takes back off invoices: the payment's unallocated part (the
    customer's credit) goes first, then the invoices it paid, the most recently paid first.
    `allocated` is what the payment holds on each invoice, newest first."""
    if refund < 0 or refund > unallocated + sum(a.amount for a in allocated):
        raise ValueError("a refund is never negative, nor more than the payment holds")
    left = refund - min(refund, unallocated)
    taken = []
    for holding in allocated:
        if left == 0:
            break
        share = min(left, holding.amount)
        if share:
            taken.append(Applied(holding.invoice_id, share))
            left -= share
    return taken
