"""A subscription runs from `starts_on` up to (not including) `ends_on`. A plan change on a day
ends the old subscription and starts the new one that same day, so the history has neither gaps
nor overlaps; subscriber billing prorates from it."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, UnprocessableContent
from tenant_api import messages
from tenant_api.billing.plans.service import plan_for
from tenant_api.billing.repository import customer_status
from tenant_api.billing.subscriptions import repository
from tenant_api.billing.subscriptions.schemas import Cancellation, EndReason, PlanChange
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import Subscription
from tenant_api.vocabulary import CustomerStatus

HORIZON = timedelta(days=366)
"""How far ahead (or back) a start, change or cancellation may be dated."""


async def subscribe(
    work: UnitOfWork, customer_id: UUID, plan_id: UUID, starts_on: date | None, *, by: str
) -> Subscription:
    session, now = work.session, work.now
    if await _customer_status(session, customer_id) == CustomerStatus.CANCELLED:
        raise Conflict("The customer is cancelled: it can take no plan.", customer_id=customer_id)
    plan = await plan_for(session, plan_id, customer_id)
    day = _dated(starts_on, now, "starts_on")
    same = await repository.on_plan_after(session, customer_id, plan.id, day)
    if same:
        raise Conflict(
            f"The customer is already on {plan.name!r}: change that subscription instead.",
            subscription_id=same,
        )
    subscription = _new(work.tenant_id, customer_id, plan.id, day, now)
    session.add(subscription)
    work.record(_changed(subscription, "created", by))
    await work.flush()
    return subscription


async def get_subscription(session: AsyncSession, subscription_id: UUID) -> Subscription:
    subscription = await repository.get(session, subscription_id)
    if subscription is None:
        raise NotFound(f"No subscription {subscription_id} at this ISP.")
    return subscription


async def change_plan(
    work: UnitOfWork, subscription_id: UUID, change: PlanChange, *, by: str
) -> tuple[Subscription, Subscription]:
    session, now = work.session, work.now
    current = await _open(session, subscription_id)
    if change.plan_id == current.plan_id:
        raise Conflict("The subscription is on that plan already.", plan_id=change.plan_id)
    plan = await plan_for(session, change.plan_id, current.customer_id)
    day = _dated(change.on, now, "on")
    if day <= current.starts_on:
        raise UnprocessableContent(
            f"The change must come after the subscription started ({current.starts_on}).",
            field="on",
        )
    current.ends_on, current.end_reason = day, EndReason.CHANGED.value
    following = _new(work.tenant_id, current.customer_id, plan.id, day, now, previous=current.id)
    session.add(following)
    work.record(_changed(following, "plan_changed", by, previous_plan_id=current.plan_id))
    await work.flush()
    return current, following


async def cancel(
    work: UnitOfWork, subscription_id: UUID, cancellation: Cancellation, *, by: str
) -> Subscription:
    current = await _open(work.session, subscription_id)
    day = _dated(cancellation.on, work.now, "on")
    if day < current.starts_on:
        raise UnprocessableContent(
            f"The subscription started on {current.starts_on}: it cannot end before.", field="on"
        )
    current.ends_on, current.end_reason = day, EndReason.CANCELLED.value
    current.cancellation_reason = cancellation.reason
    work.record(_changed(current, "cancelled", by, reason=cancellation.reason))
    await work.flush()
    return current


async def history(session: AsyncSession, customer_id: UUID) -> list[Subscription]:
    await _customer_status(session, customer_id)
    return await repository.of_customer(session, customer_id)


async def cancel_all(work: UnitOfWork, customer_id: UUID, *, reason: str | None, by: str) -> None:
    """End every subscription of the customer still running, as cancelled: today, or on its
    start if it starts later (so none ends before it began)."""
    ended = await repository.end_open(work.session, customer_id, work.now.date(), reason)
    for s in ended:
        work.record(
            messages.SubscriptionChanged(
                s.id, customer_id, s.plan_id, "cancelled", s.starts_on, s.ends_on, by, reason=reason
            )
        )


search = repository.search


async def _open(session: AsyncSession, subscription_id: UUID) -> Subscription:
    subscription = await get_subscription(session, subscription_id)
    if subscription.ends_on is not None:
        raise Conflict(
            f"The subscription ended on {subscription.ends_on} ({subscription.end_reason}).",
            subscription_id=subscription_id,
        )
    return subscription


def _changed(
    subscription: Subscription,
    change: str,
    by: str,
    *,
    previous_plan_id: UUID | None = None,
    reason: str | None = None,
) -> messages.SubscriptionChanged:
    return messages.SubscriptionChanged(
        subscription_id=subscription.id,
        customer_id=subscription.customer_id,
        plan_id=subscription.plan_id,
        change=change,
        starts_on=subscription.starts_on,
        ends_on=subscription.ends_on,
        by=by,
        previous_id=subscription.previous_id,
        previous_plan_id=previous_plan_id,
        reason=reason,
    )


def _dated(day: date | None, now: datetime, field: str) -> date:
    today = now.date()
    if day is None:
        return today
    if abs(day - today) > HORIZON:
        raise UnprocessableContent(
            f"{field} must be within a year of today ({today}).", field=field
        )
    return day


def _new(
    tenant_id: UUID,
    customer_id: UUID,
    plan_id: UUID,
    day: date,
    now: datetime,
    previous: UUID | None = None,
) -> Subscription:
    return Subscription(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        plan_id=plan_id,
        starts_on=day,
        previous_id=previous,
        created_at=now,
    )


async def _customer_status(session: AsyncSession, customer_id: UUID) -> str:
    status = await customer_status(session, customer_id)
    if status is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return status


@dataclass(frozen=True)
class PastSubscription:
    """A subscription with a past (sample data): its plan, when it ran, how it ended, and the
    one it replaced on a plan change."""

    id: UUID
    customer_id: UUID
    plan_id: UUID
    starts_on: date
    ends_on: date | None
    end_reason: EndReason | None
    cancellation_reason: str | None
    previous_id: UUID | None
    created_at: datetime


async def add_past(work: UnitOfWork, subscriptions: Sequence[PastSubscription]) -> None:
    """Add subscriptions with their past, in bulk, under the rules one at a time follows: a
    plan the customer may take (the catalogue's or its own package, not retired), an end only
    with its reason and not before the start, and a plan change that ends the replaced
    subscription the day the new one starts."""
    by_id = {s.id: s for s in subscriptions}
    rows = []
    for s in subscriptions:
        await plan_for(work.session, s.plan_id, s.customer_id)
        if (s.ends_on is None) != (s.end_reason is None) or (
            s.ends_on is not None and s.ends_on < s.starts_on
        ):
            raise UnprocessableContent(
                f"Subscription {s.id} ends without a reason, or before it starts.",
                field="ends_on",
            )
        replaced = by_id.get(s.previous_id) if s.previous_id else None
        if s.previous_id is not None and (
            replaced is None
            or replaced.customer_id != s.customer_id
            or replaced.end_reason != EndReason.CHANGED
            or replaced.ends_on != s.starts_on
        ):
            raise UnprocessableContent(
                f"Subscription {s.id} replaces one that did not end for it that day.",
                field="previous_id",
            )
        rows.append(
            {
                "id": s.id,
                "tenant_id": work.tenant_id,
                "customer_id": s.customer_id,
                "plan_id": s.plan_id,
                "starts_on": s.starts_on,
                "ends_on": s.ends_on,
                "end_reason": s.end_reason.value if s.end_reason else None,
                "cancellation_reason": s.cancellation_reason,
                "previous_id": s.previous_id,
                "created_at": s.created_at,
            }
        )
    await repository.insert_many(work.session, rows)
