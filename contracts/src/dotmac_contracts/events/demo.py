"""A prospect's demo: a tenant with sample data that lives 7 days, is extended by each week of
use, gets a follow-up when unused and is removed when the follow-up goes unanswered, unless the
prospect converts it into a paid ISP (keeping its data). The demo's id is the id its tenant has,
and the id the ISP has if it converts."""

from datetime import datetime
from typing import Literal

from pydantic import EmailStr, Field

from dotmac_contracts.registry import IspEvent, event_type
from dotmac_contracts.vocabulary import Tier

Scenario = Literal["small", "medium", "enterprise"]


@event_type("dotmac.registration.demo.requested.v1")
class DemoRequested(IspEvent):
    """A prospect asked for a demo; provisioning opens it."""

    slug: str = Field(description="the demo answers on <slug>.<base domain>")
    company_name: str
    prospect_name: str
    prospect_email: EmailStr
    scenario: Scenario
    tier: Tier = Field(description="the tier the demo runs at, so its sample data fits")
    requested_at: datetime


@event_type("dotmac.provisioning.demo.opened.v1")
class DemoOpened(IspEvent):
    """The demo tenant has its sample data and its owner has been welcomed."""

    url: str
    expires_at: datetime
    opened_at: datetime


@event_type("dotmac.provisioning.demo.extended.v1")
class DemoExtended(IspEvent):
    """The demo was used: it now lives until `expires_at`."""

    expires_at: datetime
    used_at: datetime


@event_type("dotmac.provisioning.demo.reminded.v1")
class DemoReminded(IspEvent):
    """Unused for its whole term: the prospect was sent a follow-up; without use or conversion
    by `removal_at` the demo is removed."""

    removal_at: datetime
    followed_up_at: datetime


@event_type("dotmac.provisioning.demo.removed.v1")
class DemoRemoved(IspEvent):
    """The demo tenant and its data are gone."""

    removed_at: datetime


@event_type("dotmac.provisioning.demo.converted.v1")
class DemoConverted(IspEvent):
    """The prospect became a paid ISP; its onboarding takes the demo's tenant and data over."""

    converted_at: datetime
