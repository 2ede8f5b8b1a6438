"""What the customers context does when another asks (automations tagging a customer)."""

from tenant_api import messages
from tenant_api.customers import service
from tenant_api.messagebus import MessageBus, UnitOfWork


def register(bus: MessageBus) -> None:
    async def tag(work: UnitOfWork, command: messages.TagCustomer) -> str:
        return await service.tag(work, command.customer_id, command.tag)

    bus.register(messages.TagCustomer, tag)
