"""An ISP leaving: its owner's cancellation (and its retraction within the grace period), and
the archive of all its data it can download before it is deleted."""

import hashlib
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import CancellationRequested, CancellationRetracted
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound
from tenant_api.models import TENANT_DATA_TABLES, DataExport, Tenant
from tenant_api.tenancy.offboarding import repository
from tenant_api.tenancy.tenants import repository as tenants

LEFT_OUT_TABLES = frozenset({"refresh_tokens", "login_links", "api_keys", "account_numbers"})
"""Sessions, one-time links and key hashes: credentials, not the ISP's business."""
LEFT_OUT_COLUMNS = frozenset({"tenant_id", "password_hash", "snmp_secrets", "search_text"})
"""Secrets (a password hash; sealed SNMP communities and keys) and what is derived."""


async def request_cancellation(
    session: AsyncSession, outbox: Outbox, tenant: Tenant, *, reason: str, by: str, now: datetime
) -> tuple[datetime, bool]:
    """Cancel the service. A repeat while the first is pending changes nothing. Returns when
    it was requested and whether it was just now."""
    row = await tenants.get_for_update(session, tenant.id)
    assert row is not None
    if row.cancellation_requested_at is not None:
        return row.cancellation_requested_at, False
    row.cancellation_requested_at = now
    await outbox.add(
        session,
        CancellationRequested(isp_id=tenant.id, reason=reason, requested_by=by, requested_at=now),
    )
    return now, True


async def retract_cancellation(
    session: AsyncSession, outbox: Outbox, tenant: Tenant, *, by: str, now: datetime
) -> None:
    row = await tenants.get_for_update(session, tenant.id)
    assert row is not None
    if row.cancellation_requested_at is None:
        raise Conflict("This ISP has no cancellation to retract.")
    row.cancellation_requested_at = None
    await outbox.add(
        session, CancellationRetracted(isp_id=tenant.id, retracted_by=by, retracted_at=now)
    )


async def export_data(session: AsyncSession, tenant_id: UUID) -> DataExport:
    """Archive every record of the tenant (the session is scoped to it) as a zip of JSON lines:
    `<kind>.jsonl` per kind of record, and `manifest.json` with the counts."""
    buffer, counts = io.BytesIO(), {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in TENANT_DATA_TABLES:
            if table.name in LEFT_OUT_TABLES:
                continue
            lines = [json.dumps(row, default=_plain) for row in await _rows(session, table)]
            counts[table.name] = len(lines)
            archive.writestr(f"{table.name}.jsonl", "\n".join(lines) + ("\n" if lines else ""))
        manifest = {"isp_id": str(tenant_id), "exported_at": datetime.now(UTC), "counts": counts}
        archive.writestr("manifest.json", json.dumps(manifest, default=_plain, indent=2))
    content = buffer.getvalue()
    export = DataExport(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        content=content,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=datetime.now(UTC),
    )
    session.add(export)
    await session.flush()
    return export


EXPORT_REUSED_FOR = timedelta(minutes=10)
"""An export asked for again within this long is the one just made: the archive holds every
record, so a button pressed twice should not store it twice."""


async def export_on_request(
    session: AsyncSession, tenant_id: UUID, now: datetime
) -> tuple[DataExport, bool]:
    """The owner's own export: a fresh archive, or the one made in the last ten minutes.
    Returns it and whether it was made now."""
    recent = await repository.export_since(session, tenant_id, now - EXPORT_REUSED_FOR)
    if recent is not None:
        return recent, False
    return await export_data(session, tenant_id), True


async def exports(session: AsyncSession, tenant_id: UUID) -> list[DataExport]:
    return list(await repository.exports(session, tenant_id))


async def cancellation_of(session: AsyncSession, tenant_id: UUID) -> datetime:
    row = await tenants.get(session, tenant_id)
    if row is None or row.cancellation_requested_at is None:
        raise NotFound("This ISP has not asked to cancel.")
    return row.cancellation_requested_at


async def get_export(session: AsyncSession, tenant_id: UUID, export_id: UUID) -> DataExport:
    export = await repository.get_export(session, export_id)
    if export is None or export.tenant_id != tenant_id:
        raise NotFound(f"No data export {export_id} for this ISP.")
    return export


async def _rows(session: AsyncSession, table: Table) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if c.name not in LEFT_OUT_COLUMNS]
    if table.name == "customer_imports":
        columns = [c for c in columns if c.name != "content"]  # the uploaded file, as sent
    return await repository.rows(session, table, columns)


def _plain(value: Any) -> Any:
    """JSON for what the rows hold besides plain JSON: times, ids, decimals, addresses."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
