"""What support does when another context asks (automations' actions on tickets), and how it
tells the platform its open ticket count."""

from dotmac_contracts.events import TicketsCounted
from dotmac_contracts.vocabulary import Plugin
from servicekit.outbox import Outbox
from tenant_api import messages
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.support import service
from tenant_api.support.schemas import SLA, CommentCreate, TicketCreate
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
        ticket = await service.get_ticket(work.session, command.ticket_id)
        ticket.priority = command.priority.value
        if sla(work):
            ticket.sla_due_at = ticket.created_at + SLA[command.priority]

    async def assign(work: UnitOfWork, command: messages.AssignTicket) -> None:
        ticket = await service.get_ticket(work.session, command.ticket_id)
        await service.check_assignee(work.session, command.assignee_id)
        ticket.assignee_id = command.assignee_id

    async def comment(work: UnitOfWork, command: messages.CommentOnTicket) -> None:
        await service.comment(
            work.session,
            work.tenant_id,
            command.ticket_id,
            CommentCreate(body=command.body),
            author_id=None,
            by=command.by,
            now=work.now,
        )

    async def publish_count(
        work: UnitOfWork, event: messages.TicketOpened | messages.TicketMoved
    ) -> None:
        """The platform (the operator's health score of the ISP) follows the open count."""
        counted = TicketsCounted(
            isp_id=work.tenant_id,
            open_tickets=await service.count_open(work.session),
            counted_at=work.now,
        )
        await outbox.add(work.session, counted)

    bus.subscribe(messages.TicketOpened, publish_count)
    bus.subscribe(messages.TicketMoved, publish_count)
    bus.register(messages.OpenTicket, open_ticket)
    bus.register(messages.SetTicketPriority, set_priority)
    bus.register(messages.AssignTicket, assign)
    bus.register(messages.CommentOnTicket, comment)
