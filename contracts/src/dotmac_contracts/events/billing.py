"""The platform's billing of ISPs: where each ISP's account with the platform stands."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from dotmac_contracts.registry import IspEvent, event_type
from dotmac_contracts.vocabulary import Tier

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
    offboarding: bool = Field(
        default=False,
        description="The move follows the ISP's own offboarding (its subscription ended with "
        "it): there is nothing left to offboard",
    )


@event_type("dotmac.billing.usage.threshold_crossed.v1")
class UsageThresholdCrossed(IspEvent):
    """An ISP's customers reached 80% or 100% of its tier's cap. Announced once per crossing:
    again only after its count has fallen below 80% and risen again. At 100% the ISP cannot
    add customers until it moves to a higher tier (tenant-api refuses them)."""

    threshold: Literal[80, 100] = Field(description="Percent of the cap reached")
    customers: int = Field(ge=0)
    customer_cap: int = Field(ge=1)
    crossed_at: datetime


@event_type("dotmac.billing.account.tier_changed.v1")
class BillingTierChanged(IspEvent):
    """Stripe confirmed an ISP's move to another tier: its subscription is on the new tier's
    price and the prorated charge is paid (or, moving down, credited). Licensing issues the
    new tier's licence on it; until then the ISP keeps the tier it had."""

    previous_tier: Tier
    tier: Tier
    changed_at: datetime
