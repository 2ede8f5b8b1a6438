"""Demo requests, their read model, and their conversion into a paid ISP."""

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import DemoRequested
from dotmac_contracts.vocabulary import Tier
from registration.demos import repository
from registration.demos.schemas import DemoRead, DemoRequest
from registration.isps import repository as isps
from registration.isps.service import slugify
from registration.isps.service import status_url as isp_status_url
from registration.models import Demo
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound, TooManyRequests

TIER_OF_SCENARIO = {"small": Tier.BASIC, "medium": Tier.PREMIUM, "enterprise": Tier.ENTERPRISE}
"""The lowest tier whose customer cap and plugins the scenario's sample data fits."""
LIVE = ("requested", "active", "expiring")


def status_url(demo_id: UUID) -> str:
    return f"/api/v1/demos/{demo_id}"


def read(demo: Demo) -> DemoRead:
    return DemoRead(
        demo_id=demo.id,
        slug=demo.slug,
        company=demo.company_name,
        scenario=demo.scenario,  # type: ignore[arg-type]
        tier=demo.tier,
        state=demo.state,  # type: ignore[arg-type]
        url=demo.url,
        expires_at=demo.expires_at,
        removal_at=demo.removal_at,
        status_url=status_url(demo.id),
        created_at=demo.created_at,
    )


async def request_demo(
    session: AsyncSession,
    outbox: Outbox,
    request: DemoRequest,
    *,
    address: str | None = None,
    per_hour: int = 10,
) -> Demo:
    """One live demo per prospect email: a second request while one lives is refused (409)
    with the first one's address. One network address may ask for `per_hour` an hour (429)."""
    email = str(request.prospect.email).lower()
    if address is not None:
        await _check_rate(session, address, per_hour)
    live = await repository.of_email_in(session, email, LIVE)
    if live is not None:
        raise Conflict(
            f"{email} already has a demo running; it is at {status_url(live.id)}.",
            demo_id=str(live.id),
            status_url=status_url(live.id),
        )
    demo_id, now = uuid.uuid4(), datetime.now(UTC)
    tier = TIER_OF_SCENARIO[request.scenario]
    demo = Demo(
        id=demo_id,
        slug=f"demo-{slugify(request.company, 28)}-{demo_id.hex[:6]}",
        company_name=request.company,
        prospect_name=request.prospect.name,
        prospect_email=email,
        scenario=request.scenario,
        tier=tier.value,
        requested_from=address,
        state="requested",
        created_at=now,
        updated_at=now,
    )
    session.add(demo)
    await session.flush()
    await outbox.add(
        session,
        DemoRequested(
            isp_id=demo_id,
            slug=demo.slug,
            company_name=demo.company_name,
            prospect_name=demo.prospect_name,
            prospect_email=email,
            scenario=request.scenario,
            tier=tier,
            requested_at=now,
        ),
    )
    return demo


async def _check_rate(session: AsyncSession, address: str, per_hour: int) -> None:
    # Serialized per address, so concurrent requests cannot all slip under the limit.
    await repository.lock_requests_from(session, address)
    since = datetime.now(UTC) - timedelta(hours=1)
    recent = await repository.requested_from_since(session, address, since)
    if len(recent) >= per_hour:
        wait = recent[len(recent) - per_hour] + timedelta(hours=1) - datetime.now(UTC)
        raise TooManyRequests(
            f"This address asked for {len(recent)} demos in the last hour; {per_hour} is the "
            "most. Try again later.",
            retry_after_s=max(1, int(wait.total_seconds()) + 1),
        )


async def get_demo(session: AsyncSession, demo_id: UUID) -> Demo:
    demo = await repository.get(session, demo_id)
    if demo is None:
        raise NotFound(f"No demo {demo_id}.")
    return demo


async def convertible(session: AsyncSession, demo_id: UUID) -> Demo:
    """The demo, locked until the caller's transaction ends, if it may become an ISP now: open,
    and not converted already (its ISP is registered before provisioning reports it)."""
    demo = await repository.get(session, demo_id, for_update=True)
    if demo is None:
        raise NotFound(f"No demo {demo_id}.")
    if demo.state not in ("active", "expiring"):
        raise Conflict(
            f"This demo is {demo.state}: only an open demo can become an ISP.",
            state=demo.state,
        )
    if await isps.get(session, demo_id) is not None:
        raise Conflict(
            "This demo is becoming an ISP already: follow its onboarding.",
            state=demo.state,
            status_url=isp_status_url(demo_id),
        )
    return demo


async def move(
    session: AsyncSession, demo_id: UUID, state: str, at: datetime, **fields: object
) -> None:
    """Apply one of provisioning's demo events (each carries the whole new state, so a late
    or repeated one changes nothing it should not)."""
    demo = await repository.get(session, demo_id, for_update=True)
    if demo is None:
        return  # not one of ours
    if demo.state in ("removed", "converted"):
        return  # final
    demo.state = state
    for name, value in fields.items():
        setattr(demo, name, value)
    demo.updated_at = max(demo.updated_at, at)
