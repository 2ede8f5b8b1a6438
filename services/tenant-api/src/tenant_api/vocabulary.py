"""The ISP business's shared words: the values that several contexts store, filter or report on
(a customer's status, a ticket's priority, a plan's billing cycle). Part of the kernel, so a
context can use another's vocabulary without importing that context."""

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints


class CustomerStatus(StrEnum):
    LEAD = "lead"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


DUNNING = "dunning"
"""Who dunning's changes are recorded as (a customer suspended for overdue invoices is told
apart from one suspended by hand by it)."""


class CustomerKind(StrEnum):
    RESIDENTIAL = "residential"
    BUSINESS = "business"
    RESELLER = "reseller"


Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _:-]{0,39}$"
    ),
]
"""A customer's short label, lower-cased."""


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


MONTHS = {BillingCycle.MONTHLY: 1, BillingCycle.QUARTERLY: 3, BillingCycle.ANNUAL: 12}
"""Months one billing cycle covers: a plan's monthly revenue is its price over these."""

CENT = Decimal("0.01")
