"""Who an ISP is, as network needs it: the contact alert mail goes to (from its sign-up) and
what its licence allows (a tier without `snmp_integration` has its devices left alone; alert
mail needs `email_notifications`)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert

from dotmac_contracts.events import (
    IspRegistered,
    LicenceChanged,
    LicenceIssued,
    LicenceRevoked,
)
from network.models import Tenant
from network.monitoring import repository
from servicekit.notify import notify
from servicekit.stream import Session


async def on_isp_registered(event: IspRegistered, session: Session) -> None:
    await repository.keep(session, event.isp_id, contact_email=str(event.primary_contact_email))


async def on_licence_issued(event: LicenceIssued, session: Session) -> None:
    await _licensed(session, event.isp_id, event.plugins, event.issued_at)


async def on_licence_changed(event: LicenceChanged, session: Session) -> None:
    await _licensed(session, event.isp_id, event.plugins, event.issued_at)


async def on_licence_revoked(event: LicenceRevoked, session: Session) -> None:
    await _licensed(session, event.isp_id, [], event.revoked_at)


async def _licensed(session: Session, isp_id: UUID, plugins: list[str], at: datetime) -> None:
    statement = insert(Tenant).values(tenant_id=isp_id, plugins=plugins, licensed_at=at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Tenant.tenant_id],
            set_={"plugins": statement.excluded.plugins, "licensed_at": at},
            where=or_(Tenant.licensed_at.is_(None), Tenant.licensed_at <= at),
        )
    )
    await notify(session, repository.TENANTS_CHANGED, str(isp_id))


SUBSCRIBERS = (on_isp_registered, on_licence_issued, on_licence_changed, on_licence_revoked)
