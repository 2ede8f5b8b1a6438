"""The platform's billing of ISPs: where each ISP's account with the platform stands."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from dotmac_contracts.registry import IspEvent, event_type

AccountState = Literal["registered", "incomplete", "active", "past_due", "suspended", "cancelled"]


@event_type("dotmac.billing.account.status_changed.v1")
class BillingStatusChanged(IspEvent):
    """An ISP's account moved: opened (`incomplete` until its first payment, `active`), a
    payment failed (`past_due`), dunning ran out (`suspended`, then `cancelled`), or a payment
    put it right (`active`). Licensing suspends and reinstates licences on it."""

    previous: AccountState
    status: AccountState
    reason: str = Field(description="Why, in words an operator can act on")
    changed_at: datetime
