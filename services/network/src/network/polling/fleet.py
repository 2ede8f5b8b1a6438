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
from network.config import Settings
from network.history import repository as history
from network.inventory import repository
from network.polling.poller import DeviceSample, Poller, Target
from servicekit.notify import following
from servicekit.runtime import Runtime
from servicekit.sealing import CannotUnseal, Sealer

log = logging.getLogger(__name__)
POLLED_VERSIONS = {"v2c"}
"""aiosnmp speaks SNMPv2c; v1 and v3 (pysnmp) devices are recorded and not polled yet."""


class Fleet:
    def __init__(self, runtime: Runtime, settings: Settings, sealer: Sealer) -> None:
        self.runtime = runtime
        self.settings = settings
        self.sealer = sealer
        self.poller = Poller(
            self.publish,
            concurrency=settings.poll_concurrency,
            timeout_s=settings.snmp_timeout_s,
        )

    async def run(self) -> None:
        """Load the inventory, follow it, and poll, until cancelled."""
        async with following(self.runtime.db, repository.CHANGED, self._changed):
            await self.reload()
            await self.poller.run()

    async def reload(self, device_id: UUID | None = None) -> None:
        async with self.runtime.db.reading() as connection:
            rows = await repository.devices(connection, device_id)
        if device_id is not None and not rows:
            self.poller.forget(device_id)
        for row in rows:
            target = self._target(row)
            if target is None:
                self.poller.forget(row.device_id)
            else:
                self.poller.watch(target)

    async def _changed(self, payload: str) -> None:
        try:
            device_id = UUID(payload)
        except ValueError:
            return
        await self.reload(device_id)

    def _target(self, row: Any) -> Target | None:
        if row.snmp_version not in POLLED_VERSIONS:
            log.info("device %s speaks SNMP %s: not polled yet", row.device_id, row.snmp_version)
            return None
        try:
            community = str(self.sealer.unseal(row.sealed_secrets)["community"])
        except (CannotUnseal, KeyError):
            log.warning("device %s: its SNMP secrets cannot be unsealed here", row.device_id)
            return None
        return Target(
            row.device_id,
            row.tenant_id,
            row.management_ip,
            row.snmp_port,
            community,
            interval_s=self.settings.poll_interval_s,
        )

    async def publish(self, sample: DeviceSample) -> None:
        at = datetime.fromtimestamp(sample.at, UTC)
        event = DeviceSampled(
            isp_id=sample.target.tenant_id,
            device_id=sample.target.device_id,
            sampled_at=at,
            uptime_s=sample.uptime_ticks / 100,
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

    async def forget_old_rollups(self) -> None:
        """Hourly: rollups past their retention go."""
        while True:
            try:
                async with self.runtime.db.unit_of_work() as session:
                    await history.forget(session)
            except Exception:
                log.warning("could not forget old rollups; trying again later", exc_info=True)
            await asyncio.sleep(3600)
