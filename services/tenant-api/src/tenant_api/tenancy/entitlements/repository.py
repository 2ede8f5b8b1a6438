"""Entitlements' SQL: each ISP's licence terms and the plugin catalogue, as licensing announced
them (rows of the `tenant` schema, one per ISP)."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import param, table_of
from tenant_api.models import Entitlement, PluginCatalog

_entitlements = table_of(Entitlement)
_LICENCE_TERMS = (
    "licence_id",
    "tier",
    "plugins",
    "customer_cap",
    "api_rate_per_minute",
    "issued_at",
    "expires_at",
)
_licensed = insert(_entitlements).values(
    tenant_id=param(_entitlements.c.tenant_id),
    status=param(_entitlements.c.status),
    **{term: param(_entitlements.c[term]) for term in _LICENCE_TERMS},
)
_RECORD_LICENCE = _licensed.on_conflict_do_update(
    index_elements=[_entitlements.c.tenant_id],
    set_={term: _licensed.excluded[term] for term in _LICENCE_TERMS},
    where=_entitlements.c.issued_at <= _licensed.excluded.issued_at,  # a late event loses
)
"""Built once: every onboarding records one."""


async def catalog(session: AsyncSession) -> PluginCatalog | None:
    """The plugin catalogue (which tier first has each plugin), once licensing published one."""
    return await session.get(PluginCatalog, 1)


async def entitlements(
    session: AsyncSession, tenant_id: UUID | None = None
) -> Sequence[Entitlement]:
    """Every ISP's entitlements, or `tenant_id`'s."""
    query = select(Entitlement)
    if tenant_id is not None:
        query = query.where(Entitlement.tenant_id == tenant_id)
    return (await session.execute(query)).scalars().all()


async def record_licence(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    status: str,
    licence_id: UUID,
    tier: str,
    plugins: list[str],
    customer_cap: int | None,
    api_rate_per_minute: int | None,
    issued_at: datetime,
    expires_at: datetime,
) -> None:
    """Record the ISP's licence terms: a new ISP's row starts in `status`; an existing row takes
    the terms and keeps its status. A licence issued before the one recorded changes nothing."""
    await session.execute(
        _RECORD_LICENCE,
        {
            "tenant_id": tenant_id,
            "status": status,
            "licence_id": licence_id,
            "tier": tier,
            "plugins": plugins,
            "customer_cap": customer_cap,
            "api_rate_per_minute": api_rate_per_minute,
            "issued_at": issued_at,
            "expires_at": expires_at,
        },
    )


async def record_status(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    licence_id: UUID,
    status: str,
    reason: str | None,
    final: str,
) -> None:
    """Record the status of the ISP's licence `licence_id` (if it is still the ISP's licence),
    unless that licence is in the `final` status already."""
    await session.execute(
        update(Entitlement)
        .where(
            Entitlement.tenant_id == tenant_id,
            Entitlement.licence_id == licence_id,
            Entitlement.status != final,
        )
        .values(status=status, status_reason=reason)
    )


async def record_catalog(
    session: AsyncSession,
    *,
    version: str,
    tiers: list[str],
    plugins: dict[str, str],
    published_at: datetime,
) -> None:
    """Record the plugin catalogue, unless the one recorded was published later."""
    values = {"version": version, "tiers": tiers, "plugins": plugins, "published_at": published_at}
    statement = insert(PluginCatalog).values(id=1, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PluginCatalog.id],
            set_=values,
            where=PluginCatalog.published_at <= statement.excluded.published_at,
        )
    )
