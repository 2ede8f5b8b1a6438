"""The poll role: every device of network's inventory read on its schedule, its readings
published as telemetry on NATS (`DeviceSampled`, one subject per ISP and device, on the
TELEMETRY stream), and the inventory followed as it changes (a NOTIFY per device)."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceSampled, DeviceTrapReceived, InterfaceTelemetry
from network.alerts.watch import AlertWatch
from network.config import Settings
from network.history import repository as history
from network.inventory import repository as inventory
from network.monitoring import repository as monitoring
from network.monitoring.settings import WatchSettings, polled, watch_settings
from network.polling.poller import DeviceSample, Poller, Target
from network.polling.snmp import Community, Credentials, User
from servicekit.mail import Mailer
from servicekit.notify import following
from servicekit.runtime import Runtime
from servicekit.sealing import CannotUnseal, Sealer

log = logging.getLogger(__name__)


class Fleet:
    def __init__(
        self, runtime: Runtime, settings: Settings, sealer: Sealer, mailer: Mailer
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.sealer = sealer
        self.tenants: dict[UUID, Any] = {}
        """network.tenants rows by ISP: their intervals, thresholds and licences."""
        self.watch = AlertWatch(
            runtime, mailer, self.watch_settings, hold_down_s=settings.alert_hold_down_s
        )
        self.poller = Poller(
            self.publish,
            self.watch.polled,
            concurrency=settings.poll_concurrency,
            timeout_s=settings.snmp_timeout_s,
        )

    def watch_settings(self, tenant_id: UUID) -> WatchSettings:
        return watch_settings(self.tenants.get(tenant_id), self.settings)

    async def run(self) -> None:
        """Load the inventory and the open alerts, follow both, and poll, until cancelled."""
        async with (
            following(self.runtime.db, inventory.CHANGED, self._device_changed),
            following(self.runtime.db, monitoring.TENANTS_CHANGED, self._tenant_changed),
        ):
            await self.reload_tenants()
            await self.reload()
            await self.watch.load()
            settling = asyncio.create_task(self.watch.run(lambda: self.poller.targets.keys()))
            try:
                await self.poller.run()
            finally:
                settling.cancel()
                await asyncio.gather(settling, return_exceptions=True)

    async def reload_tenants(self, tenant_id: UUID | None = None) -> None:
        async with self.runtime.db.reading() as connection:
            rows = await monitoring.tenants(connection, tenant_id)
        for row in rows:
            self.tenants[row.tenant_id] = row

    async def reload(self, device_id: UUID | None = None, tenant_id: UUID | None = None) -> None:
        async with self.runtime.db.reading() as connection:
            rows = await inventory.devices(connection, device_id, tenant_id)
        if device_id is not None and not rows:
            self.poller.forget(device_id)
        for row in rows:
            target = self._target(row)
            if target is None:
                self.poller.forget(row.device_id)
            else:
                self.poller.watch(target)

    async def _device_changed(self, payload: str) -> None:
        try:
            device_id = UUID(payload)
        except ValueError:
            return
        await self.reload(device_id)

    async def _tenant_changed(self, payload: str) -> None:
        try:
            tenant_id = UUID(payload)
        except ValueError:
            return
        await self.reload_tenants(tenant_id)
        await self.reload(tenant_id=tenant_id)

    def _target(self, row: Any) -> Target | None:
        tenant = self.tenants.get(row.tenant_id)
        if not polled(tenant):
            return None
        try:
            secrets = self.sealer.unseal(row.sealed_secrets)
            credentials = _credentials(row, secrets)
        except (CannotUnseal, KeyError, TypeError):
            log.warning("device %s: its SNMP secrets cannot be unsealed here", row.device_id)
            return None
        if credentials is None:
            log.info("device %s speaks SNMP %s: not polled", row.device_id, row.snmp_version)
            return None
        interval = row.poll_interval_s or self.watch_settings(row.tenant_id).poll_interval_s
        return Target(
            row.device_id,
            row.tenant_id,
            row.management_ip,
            row.snmp_port,
            credentials,
            interval_s=float(interval),
            name=row.name,
        )

    async def publish(self, sample: DeviceSample) -> None:
        at = datetime.fromtimestamp(sample.at, UTC)
        event = DeviceSampled(
            isp_id=sample.target.tenant_id,
            device_id=sample.target.device_id,
            sampled_at=at,
            uptime_s=sample.uptime_ticks / 100,
            cpu_load_pct=sample.cpu_load_pct,
            memory_used_pct=sample.memory_used_pct,
            interfaces=[
                InterfaceTelemetry(
                    index=i.index,
                    name=i.name,
                    oper_up=i.oper_up,
                    admin_up=i.admin_up,
                    speed_mbps=i.speed_mbps,
                    in_bps=i.in_bps,
                    out_bps=i.out_bps,
                    in_utilisation=i.in_utilisation,
                    out_utilisation=i.out_utilisation,
                    errors_in=i.errors_in,
                )
                for i in sample.interfaces
            ],
        )
        envelope = encode_event(event, event_id=str(uuid4()), source="network", time=at)
        await self.runtime.js.publish(event.nats_subject, envelope.data, headers=envelope.headers())
        rows = [
            {
                "device_id": sample.target.device_id,
                "tenant_id": sample.target.tenant_id,
                "if_index": i.index,
                "name": i.name,
                "at": at,
                "in_bps": i.in_bps,
                "out_bps": i.out_bps,
            }
            for i in sample.interfaces
            if i.in_bps is not None and i.out_bps is not None
        ]
        if rows:
            async with self.runtime.db.unit_of_work() as session:
                await history.add(session, rows)

    async def record_trap(
        self, target: Target, kind: str, trap_oid: str, if_index: int | None, at: datetime
    ) -> None:
        event = DeviceTrapReceived(
            isp_id=target.tenant_id,
            device_id=target.device_id,
            kind=kind,
            trap_oid=trap_oid,
            if_index=if_index,
            received_at=at,
        )
        async with self.runtime.db.unit_of_work() as session:
            await self.runtime.outbox.add(session, event)
        await self.watch.trapped(target, kind, if_index)

    async def forget_old_rollups(self) -> None:
        """Hourly: rollups past their retention go."""
        while True:
            try:
                async with self.runtime.db.unit_of_work() as session:
                    await history.forget(session)
            except Exception:
                log.warning("could not forget old rollups; trying again later", exc_info=True)
            await asyncio.sleep(3600)


def _credentials(row: Any, secrets: dict[str, Any]) -> Credentials | None:
    """The device's SNMP credentials from its record and its unsealed secrets."""
    if row.snmp_version in ("v1", "v2c"):
        return Community(str(secrets["community"]), row.snmp_version)
    if row.snmp_version == "v3":
        return User(
            username=row.snmp_username,
            auth_protocol=row.snmp_auth_protocol,
            auth_key=str(secrets["auth_key"]),
            privacy_protocol=row.snmp_privacy_protocol,
            privacy_key=secrets.get("privacy_key"),
        )
    return None
