"""What support does when another context asks (automations' actions on tickets), and what it
tells the platform: the open ticket count, and each ticket opened or updated (for the ISP's
webhooks)."""

from dotmac_contracts import events as published
from dotmac_contracts.vocabulary import Plugin
from servicekit.outbox import Outbox
from tenant_api import messages
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.support import service
from tenant_api.support.schemas import CommentCreate, TicketCreate, TicketUpdate
from tenant_api.tenancy.entitlements.store import EntitlementStore


def register(bus: MessageBus, entitlements: EntitlementStore, outbox: Outbox) -> None:
    def sla(work: UnitOfWork) -> bool:
        return entitlements.allows(work.tenant_id, Plugin.SLA_MANAGEMENT)

    async def open_ticket(work: UnitOfWork, command: messages.OpenTicket) -> int:
        spec = TicketCreate(
            subject=command.subject,
            description=command.description,
            priority=command.priority,
            customer_id=command.customer_id,
        )
        ticket = await service.open_ticket(work, spec, sla=sla(work), by=command.by)
        return ticket.number

    async def set_priority(work: UnitOfWork, command: messages.SetTicketPriority) -> None:
        change = TicketUpdate(priority=command.priority)
        await service.update_ticket(work, command.ticket_id, change, sla=sla(work), by=command.by)

    async def assign(work: UnitOfWork, command: messages.AssignTicket) -> None:
        change = TicketUpdate(assignee_id=command.assignee_id)
        await service.update_ticket(work, command.ticket_id, change, sla=sla(work), by=command.by)

    async def comment(work: UnitOfWork, command: messages.CommentOnTicket) -> None:
        spec = CommentCreate(body=command.body)
        await service.comment(work, command.ticket_id, spec, author_id=None, by=command.by)

    async def publish_count(
        work: UnitOfWork, event: messages.TicketOpened | messages.TicketUpdated
    ) -> None:
        """The platform (the operator's health score of the ISP) follows the open count."""
        if isinstance(event, messages.TicketUpdated) and "status" not in event.changes:
            return
        counted = published.TicketsCounted(
            isp_id=work.tenant_id,
            open_tickets=await service.count_open(work.session),
            counted_at=work.now,
        )
        await outbox.add(work.session, counted)

    async def publish_opened(work: UnitOfWork, event: messages.TicketOpened) -> None:
        ticket = await service.get_ticket(work.session, event.ticket_id)  # in the session
        opened = published.TicketOpened(
            isp_id=work.tenant_id,
            ticket_id=ticket.id,
            number=ticket.number,
            title=ticket.subject,
            priority=ticket.priority,
            status=ticket.status,
            customer_id=ticket.customer_id,
            assignee_id=ticket.assignee_id,
            by=event.by,
            opened_at=ticket.created_at,
        )
        await outbox.add(work.session, opened)

    async def publish_updated(work: UnitOfWork, event: messages.TicketUpdated) -> None:
        ticket = await service.get_ticket(work.session, event.ticket_id)  # in the session
        updated = published.TicketUpdated(
            isp_id=work.tenant_id,
            ticket_id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            previous_status=event.previous_status,
            priority=ticket.priority,
            assignee_id=ticket.assignee_id,
            customer_id=ticket.customer_id,
            changes=list(event.changes),
            comment_id=event.comment_id,
            by=event.by,
            updated_at=work.now,
        )
        await outbox.add(work.session, updated)

    bus.subscribe(messages.TicketOpened, publish_count)
    bus.subscribe(messages.TicketOpened, publish_opened)
    bus.subscribe(messages.TicketUpdated, publish_count)
    bus.subscribe(messages.TicketUpdated, publish_updated)
    bus.register(messages.OpenTicket, open_ticket)
    bus.register(messages.SetTicketPriority, set_priority)
    bus.register(messages.AssignTicket, assign)
    bus.register(messages.CommentOnTicket, comment)
