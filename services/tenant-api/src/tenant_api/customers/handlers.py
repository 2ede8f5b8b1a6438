"""What the customers context does when another asks (automations tagging a customer), and what
it tells the platform of each customer created or moved (for the ISP's webhooks)."""

from dotmac_contracts import events as published
from servicekit.outbox import Outbox
from tenant_api import messages
from tenant_api.customers import service
from tenant_api.customers.schemas import StatusChange
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.vocabulary import DUNNING, CustomerStatus


def register(bus: MessageBus, outbox: Outbox) -> None:
    async def tag(work: UnitOfWork, command: messages.TagCustomer) -> str:
        return await service.tag(work, command.customer_id, command.tag)

    async def publish_created(work: UnitOfWork, event: messages.CustomerCreated) -> None:
        customer = await service.get_customer(work.session, event.customer_id)  # in the session
        created = published.CustomerCreated(
            isp_id=work.tenant_id,
            customer_id=customer.id,
            account_number=customer.account_number,
            name=customer.name,
            email=customer.email,
            status=customer.status,
            by=event.by,
            created_at=customer.created_at,
        )
        await outbox.add(work.session, created)

    async def publish_status_changed(
        work: UnitOfWork, event: messages.CustomerStatusChanged
    ) -> None:
        changed = published.CustomerStatusChanged(
            isp_id=work.tenant_id,
            customer_id=event.customer_id,
            previous=event.before.value,
            status=event.after.value,
            reason=event.reason,
            by=event.by,
            changed_at=work.now,
        )
        await outbox.add(work.session, changed)

    async def change_status(work: UnitOfWork, command: messages.ChangeCustomerStatus) -> str:
        change = StatusChange(status=command.status, reason=command.reason)
        customer = await service.change_status(work, command.customer_id, change, by=command.by)
        return customer.status

    async def publish_enforcement(work: UnitOfWork, event: messages.CustomerStatusChanged) -> None:
        """What the network acts on: service cut off, or restored."""
        if CustomerStatus.SUSPENDED not in (event.before, event.after):
            return
        customer = await service.get_customer(work.session, event.customer_id)
        if event.after == CustomerStatus.SUSPENDED:
            await outbox.add(
                work.session,
                published.CustomerSuspended(
                    isp_id=work.tenant_id,
                    customer_id=customer.id,
                    account_number=customer.account_number,
                    reason=event.reason,
                    dunning=event.by == DUNNING,
                    by=event.by,
                    suspended_at=work.now,
                ),
            )
        elif event.after == CustomerStatus.ACTIVE:
            await outbox.add(
                work.session,
                published.CustomerReactivated(
                    isp_id=work.tenant_id,
                    customer_id=customer.id,
                    account_number=customer.account_number,
                    reason=event.reason,
                    dunning=event.by == DUNNING,
                    by=event.by,
                    reactivated_at=work.now,
                ),
            )

    bus.register(messages.TagCustomer, tag)
    bus.register(messages.ChangeCustomerStatus, change_status)
    bus.subscribe(messages.CustomerStatusChanged, publish_enforcement)
    bus.subscribe(messages.CustomerCreated, publish_created)
    bus.subscribe(messages.CustomerStatusChanged, publish_status_changed)
