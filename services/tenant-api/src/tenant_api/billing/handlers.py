"""How billing reacts to what happens to the ISP's customers, and what it tells the platform of
each subscription created, replaced or cancelled (for the ISP's webhooks)."""

from dotmac_contracts import events as published
from servicekit.outbox import Outbox
from tenant_api.billing.dunning import handlers as dunning
from tenant_api.billing.subscriptions import service as subscriptions
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.messages import CustomerStatusChanged, SubscriptionChanged
from tenant_api.vocabulary import CustomerStatus


async def end_a_cancelled_customers_subscriptions(
    work: UnitOfWork, event: CustomerStatusChanged
) -> None:
    if event.after == CustomerStatus.CANCELLED:
        await subscriptions.cancel_all(work, event.customer_id, reason=event.reason, by=event.by)


def register(bus: MessageBus, outbox: Outbox) -> None:
    async def publish_changed(work: UnitOfWork, event: SubscriptionChanged) -> None:
        changed = published.SubscriptionChanged(
            isp_id=work.tenant_id,
            subscription_id=event.subscription_id,
            customer_id=event.customer_id,
            plan_id=event.plan_id,
            change=event.change,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            previous_subscription_id=event.previous_id,
            previous_plan_id=event.previous_plan_id,
            reason=event.reason,
            by=event.by,
            changed_at=work.now,
        )
        await outbox.add(work.session, changed)

    bus.subscribe(CustomerStatusChanged, end_a_cancelled_customers_subscriptions)
    bus.subscribe(SubscriptionChanged, publish_changed)
    dunning.register(bus)
