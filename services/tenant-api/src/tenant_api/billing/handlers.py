"""How billing reacts to what happens to the ISP's customers."""

from tenant_api.billing import repository
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.messages import CustomerStatusChanged
from tenant_api.vocabulary import CustomerStatus


async def end_a_cancelled_customers_subscriptions(
    work: UnitOfWork, event: CustomerStatusChanged
) -> None:
    if event.after == CustomerStatus.CANCELLED:
        await repository.end_subscriptions(
            work.session, event.customer_id, work.now.date(), event.reason
        )


def register(bus: MessageBus) -> None:
    bus.subscribe(CustomerStatusChanged, end_a_cancelled_customers_subscriptions)
