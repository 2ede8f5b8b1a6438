"""An ISP's alerts: listed newest first (open ones by default), read one by one, and
acknowledged by its people."""

import base64
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request

from network.access import Reader, Writer
from network.alerts import repository
from network.alerts.schemas import AlertOut, AlertPage
from network.alerts.watch import KINDS
from servicekit.problems import NotFound, UnprocessableContent

router = APIRouter(prefix="/api/v1/network/isp/{isp_id}", tags=["alerts"])


@router.get("/alerts")
async def list_alerts(
    isp: Reader,
    request: Request,
    state: Literal["open", "cleared", "all"] = "open",
    device_id: UUID | None = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AlertPage:
    if kind is not None and kind not in KINDS:
        raise UnprocessableContent(f"`kind` is one of {', '.join(KINDS)}.")
    before = _decode(cursor) if cursor else None
    async with request.state.network.runtime.db.reading() as connection:
        rows = await repository.alerts(
            connection,
            isp,
            state=state,
            device_id=device_id,
            kind=kind,
            limit=limit + 1,
            before=before,
        )
    page, more = rows[:limit], len(rows) > limit
    return AlertPage(
        items=[_out(row) for row in page],
        next_cursor=_encode(page[-1]) if more else None,
    )


@router.get("/alerts/{alert_id}")
async def read_alert(isp: Reader, alert_id: UUID, request: Request) -> AlertOut:
    async with request.state.network.runtime.db.reading() as connection:
        row = await repository.alert(connection, isp, alert_id)
    if row is None:
        raise NotFound("No such alert.")
    return _out(row)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    isp_id: UUID, alert_id: UUID, caller: Writer, request: Request
) -> AlertOut:
    """Say someone is on it. Acknowledging again keeps the first acknowledgement."""
    async with request.state.network.runtime.db.unit_of_work() as session:
        row = await repository.acknowledge(
            session, isp_id, alert_id, caller.reference, datetime.now(UTC)
        )
    if row is None:
        raise NotFound("No such alert.")
    return _out(row)


def _out(row: Any) -> AlertOut:
    state = "cleared" if row.cleared_at else "clearing" if row.clearing_since else "open"
    return AlertOut(
        alert_id=str(row.alert_id),
        device_id=str(row.device_id),
        device_name=row.device_name,
        kind=row.kind,
        if_index=row.if_index or None,
        interface_name=row.interface_name,
        summary=row.summary,
        state=state,
        occurrences=row.occurrences,
        raised_at=row.raised_at,
        last_raised_at=row.last_raised_at,
        cleared_at=row.cleared_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
    )


def _encode(row: Any) -> str:
    raw = f"{row.raised_at.isoformat()}|{row.alert_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, alert_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("no time zone")
        return when, UUID(alert_id)
    except (ValueError, UnicodeError):
        raise UnprocessableContent("`cursor` is not one this API gave.") from None
