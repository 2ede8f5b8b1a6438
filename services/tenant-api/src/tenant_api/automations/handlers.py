"""When automations run: on the domain events of their triggers, for ISPs whose tier has
advanced_automation, unless a rule caused the event (rules do not trigger rules)."""

from tenant_api.automations import repository, service
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.messages import CustomerCreated, CustomerStatusChanged, TicketOpened
from tenant_api.tenancy.entitlements.store import EntitlementStore


def register(bus: MessageBus, entitlements: EntitlementStore) -> None:
    def runs_rules(work: UnitOfWork, by: str) -> bool:
        return not by.startswith(service.BY_AUTOMATION) and entitlements.allows(
            work.tenant_id, service.PLUGIN
        )

    async def on_customer_created(work: UnitOfWork, event: CustomerCreated) -> None:
        if runs_rules(work, event.by):
            customer = await repository.customer(work.session, event.customer_id)
            assert customer is not None
            await service.run_rules(work, service.customer_created(customer))

    async def on_status_changed(work: UnitOfWork, event: CustomerStatusChanged) -> None:
        if runs_rules(work, event.by):
            customer = await repository.customer(work.session, event.customer_id)
            assert customer is not None
            happening = service.customer_status_changed(customer, event.before.value)
            await service.run_rules(work, happening)

    async def on_ticket_opened(work: UnitOfWork, event: TicketOpened) -> None:
        if runs_rules(work, event.by):
            ticket = await repository.ticket(work.session, event.ticket_id)
            assert ticket is not None
            customer = (
                await repository.customer(work.session, event.customer_id)
                if event.customer_id
                else None
            )
            await service.run_rules(work, service.ticket_opened(ticket, customer))

    bus.subscribe(CustomerCreated, on_customer_created)
    bus.subscribe(CustomerStatusChanged, on_status_changed)
    bus.subscribe(TicketOpened, on_ticket_opened)
