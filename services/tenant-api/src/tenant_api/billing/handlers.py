"""How billing reacts to what happens to the ISP's customers."""

from tenant_api.billing.subscriptions import service as subscriptions
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.messages import CustomerStatusChanged
from tenant_api.vocabulary import CustomerStatus


async def end_a_cancelled_customers_subscriptions(
    work: UnitOfWork, event: CustomerStatusChanged
) -> None:
    if event.after == CustomerStatus.CANCELLED:
        await subscriptions.cancel_all(
            work.session, event.customer_id, on=work.now.date(), reason=event.reason
        )


def register(bus: MessageBus) -> None:
    bus.subscribe(CustomerStatusChanged, end_a_cancelled_customers_subscriptions)
