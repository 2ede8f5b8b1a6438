"""From what the poller reads and the trap receiver hears to alerts an ISP can act on.

Three conditions, each judged per device or interface against the ISP's settings:

- `device_unreachable`: `unreachable_polls` polls in a row without an answer;
- `interface_down`: an interface meant to be up (ifAdminStatus up) went down: seen up before and
  down now, or a linkDown trap. A port that has never been up here (an unused port) raises
  nothing: alerting every empty port of a switch is the storm operators learn to ignore;
- `utilisation_high`: in or out above `utilisation_pct` of its speed for `utilisation_minutes`.

An alert is raised once (`DeviceAlertRaised`, through the outbox, with mail when the ISP's
licence and settings ask for it). When its condition goes away the alert starts clearing, and
it clears (`DeviceAlertCleared`) only once the condition has stayed away for the hold-down
time; if it comes back before, that is one more occurrence of the same alert. So a flapping
link is one alert with a count, not a storm of them.

The watch keeps the open alerts in memory (loaded at start) and goes to the database only when
one changes state, so judging every reading costs a few dictionary look-ups.
"""

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from dotmac_contracts.events import DeviceAlertCleared, DeviceAlertRaised
from network.alerts import repository
from network.monitoring.settings import WatchSettings
from network.polling.poller import DeviceSample, Target
from servicekit.mail import Mailer
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)

UNREACHABLE = "device_unreachable"
INTERFACE_DOWN = "interface_down"
UTILISATION_HIGH = "utilisation_high"
KINDS = (UNREACHABLE, INTERFACE_DOWN, UTILISATION_HIGH)

Key = tuple[UUID, int, str]
"""(device, ifIndex or 0 for the device itself, kind)"""


@dataclass(frozen=True)
class OpenAlert:
    alert_id: UUID
    tenant_id: UUID
    device_id: UUID
    device_name: str
    kind: str
    if_index: int
    interface_name: str | None
    raised_at: datetime
    clearing_since: datetime | None = None


class AlertWatch:
    def __init__(
        self,
        runtime: Runtime,
        mailer: Mailer,
        settings_of: Callable[[UUID], WatchSettings],
        *,
        hold_down_s: float,
    ) -> None:
        self._runtime = runtime
        self._mailer = mailer
        self._settings_of = settings_of
        self.hold_down = timedelta(seconds=hold_down_s)
        self._open: dict[Key, OpenAlert] = {}
        self._up: set[tuple[UUID, int]] = set()
        """Interfaces seen up (ifOperStatus), so a later down is a change."""
        self._hot_since: dict[tuple[UUID, int], datetime] = {}
        self._names: dict[tuple[UUID, int], str] = {}
        self._lock = asyncio.Lock()
        """One state change at a time (they are rare; readings that change nothing never wait)."""

    @property
    def open(self) -> dict[Key, OpenAlert]:
        return self._open

    async def load(self) -> None:
        async with self._runtime.db.reading() as connection:
            rows = await repository.open_alerts(connection)
        self._open = {
            (r.device_id, r.if_index, r.kind): OpenAlert(
                r.alert_id,
                r.tenant_id,
                r.device_id,
                r.device_name,
                r.kind,
                r.if_index,
                r.interface_name,
                r.raised_at,
                r.clearing_since,
            )
            for r in rows
        }

    # --- what is seen ---------------------------------------------------------------------------

    async def polled(
        self, target: Target, outcome: str, failures: int, sample: DeviceSample | None
    ) -> None:
        """A poll of `target` ended: `outcome` as the poller counts it, `failures` in a row."""
        settings = self._settings_of(target.tenant_id)
        now = datetime.now(UTC)
        if sample is None:
            if failures >= settings.unreachable_polls:
                await self._seen(
                    target,
                    0,
                    None,
                    UNREACHABLE,
                    True,
                    now,
                    f"{_device(target)} has not answered {failures} polls in a row",
                )
            return
        await self._seen(target, 0, None, UNREACHABLE, False, now, "")
        for interface in sample.interfaces:
            where = (target.device_id, interface.index)
            self._names[where] = interface.name
            if interface.oper_up:
                self._up.add(where)
                down = False
            else:
                # only a change is news: down after being seen up, and meant to be up
                down = where in self._up and interface.admin_up is not False
            await self._seen(
                target,
                interface.index,
                interface.name,
                INTERFACE_DOWN,
                down,
                now,
                f"{interface.name or f'interface {interface.index}'} on {_device(target)} is down",
            )
            busiest = max(
                (u for u in (interface.in_utilisation, interface.out_utilisation) if u is not None),
                default=None,
            )
            if busiest is None:
                continue  # no rate this time (first reading, restart): nothing to judge
            if busiest * 100 >= settings.utilisation_pct:
                since = self._hot_since.setdefault(where, now)
                hot = now - since >= timedelta(minutes=settings.utilisation_minutes)
            else:
                self._hot_since.pop(where, None)
                hot = False
            await self._seen(
                target,
                interface.index,
                interface.name,
                UTILISATION_HIGH,
                hot,
                now,
                f"{interface.name or f'interface {interface.index}'} on {_device(target)} has "
                f"been above {settings.utilisation_pct}% for "
                f"{settings.utilisation_minutes} min (now {busiest:.0%})",
            )

    async def trapped(self, target: Target, kind: str, if_index: int | None) -> None:
        """A trap from `target`: linkDown and linkUp say at once what polling would say at the
        next reading."""
        if kind not in ("link_down", "link_up") or if_index is None:
            return
        where = (target.device_id, if_index)
        name = self._names.get(where)
        down = kind == "link_down"
        if not down:
            self._up.add(where)
        await self._seen(
            target,
            if_index,
            name,
            INTERFACE_DOWN,
            down,
            datetime.now(UTC),
            f"{name or f'interface {if_index}'} on {_device(target)} is down (linkDown trap)",
        )

    # --- clearing -------------------------------------------------------------------------------

    async def settle(self, polled: Collection[UUID]) -> None:
        """Clear the alerts whose condition stayed away for the hold-down, and those of devices
        no longer polled (removed, or their ISP's licence no longer covers them)."""
        now = datetime.now(UTC)
        for key, alert in list(self._open.items()):
            gone = alert.device_id not in polled
            settled = alert.clearing_since is not None and now - alert.clearing_since >= (
                self.hold_down
            )
            if gone or settled:
                async with self._lock:
                    if self._open.get(key) == alert:  # not changed meanwhile
                        await self._clear(key, alert, now)

    async def run(self, polled: Callable[[], Collection[UUID]]) -> None:
        """Settle every few seconds, until cancelled."""
        pause = max(min(self.hold_down.total_seconds() / 4, 5.0), 0.1)
        while True:
            await asyncio.sleep(pause)
            try:
                await self.settle(polled())
            except Exception:
                log.exception("could not settle alerts; trying again")

    # --- state changes ----------------------------------------------------------------------------

    async def _seen(
        self,
        target: Target,
        if_index: int,
        interface_name: str | None,
        kind: str,
        active: bool,
        now: datetime,
        summary: str,
    ) -> None:
        key = (target.device_id, if_index, kind)
        if not _changes(self._open.get(key), active):
            return  # the usual case: nothing to do, no lock, no database
        async with self._lock:
            alert = self._open.get(key)  # again: another change may have come first
            if not _changes(alert, active):
                return
            if alert is None:
                await self._raise(key, target, interface_name, summary, now)
            elif active:
                async with self._runtime.db.unit_of_work() as session:
                    occurrences = await repository.came_back(session, alert.alert_id, now)
                self._open[key] = replace(alert, clearing_since=None)
                log.info("alert %s came back (%d occurrences)", alert.alert_id, occurrences)
            else:
                async with self._runtime.db.unit_of_work() as session:
                    await repository.clearing(session, alert.alert_id, now)
                self._open[key] = replace(alert, clearing_since=now)

    async def _raise(
        self, key: Key, target: Target, interface_name: str | None, summary: str, now: datetime
    ) -> None:
        device_id, if_index, kind = key
        alert = OpenAlert(
            uuid4(), target.tenant_id, device_id, _device(target), kind, if_index,
            interface_name, now,
        )  # fmt: skip
        event = DeviceAlertRaised(
            isp_id=alert.tenant_id,
            alert_id=alert.alert_id,
            device_id=device_id,
            device_name=alert.device_name,
            kind=kind,  # type: ignore[arg-type]
            if_index=if_index or None,
            interface_name=interface_name,
            summary=summary,
            raised_at=now,
        )
        mail_to = self._settings_of(target.tenant_id).mail_to
        async with self._runtime.db.unit_of_work() as session:
            await repository.raise_alert(
                session,
                alert_id=alert.alert_id,
                tenant_id=alert.tenant_id,
                device_id=device_id,
                device_name=alert.device_name,
                kind=kind,
                if_index=if_index,
                interface_name=interface_name,
                summary=summary,
                occurrences=1,
                raised_at=now,
                last_raised_at=now,
            )
            await self._runtime.outbox.add(session, event)
            if mail_to:
                await self._mailer.queue(
                    session,
                    to=mail_to,
                    subject=f"Alert: {summary}",
                    body=(
                        f"{summary}.\n\nRaised at {now:%Y-%m-%d %H:%M:%S} UTC. You will get "
                        "another message when it clears; if it comes back before then, it is "
                        "counted on this alert rather than sent again.\n"
                    ),
                )
        self._open[key] = alert
        log.info("alert %s raised: %s", alert.alert_id, summary)

    async def _clear(self, key: Key, alert: OpenAlert, now: datetime) -> None:
        mail_to = self._settings_of(alert.tenant_id).mail_to
        async with self._runtime.db.unit_of_work() as session:
            row = await repository.clear(session, alert.alert_id, now)
            if row is not None:
                await self._runtime.outbox.add(
                    session,
                    DeviceAlertCleared(
                        isp_id=alert.tenant_id,
                        alert_id=alert.alert_id,
                        device_id=alert.device_id,
                        device_name=alert.device_name,
                        kind=alert.kind,  # type: ignore[arg-type]
                        if_index=alert.if_index or None,
                        interface_name=alert.interface_name,
                        occurrences=row.occurrences,
                        raised_at=alert.raised_at,
                        cleared_at=now,
                    ),
                )
                if mail_to:
                    await self._mailer.queue(
                        session,
                        to=mail_to,
                        subject=f"Cleared: {row.summary}",
                        body=(
                            f"Cleared at {now:%Y-%m-%d %H:%M:%S} UTC: {row.summary}.\n"
                            f"Raised at {alert.raised_at:%Y-%m-%d %H:%M:%S} UTC; it happened "
                            f"{row.occurrences} time(s) in between.\n"
                        ),
                    )
        self._open.pop(key, None)
        self._hot_since.pop((alert.device_id, alert.if_index), None)


def _changes(alert: OpenAlert | None, active: bool) -> bool:
    """Whether seeing the condition `active` (or not) changes the alert's state."""
    if alert is None:
        return active
    return active == (alert.clearing_since is not None)


def _device(target: Target) -> str:
    return target.name or target.host
