"""How dunning reacts to payments: a customer it suspended is reactivated once a payment
clears what was overdue."""

from tenant_api.billing.dunning import service
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.messages import PaymentReceived


async def reactivate_when_paid(work: UnitOfWork, event: PaymentReceived) -> None:
    await service.reactivate_if_paid(work, event.customer_id)


def register(bus: MessageBus) -> None:
    bus.subscribe(PaymentReceived, reactivate_when_paid)
