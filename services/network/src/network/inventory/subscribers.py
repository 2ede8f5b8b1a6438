"""tenant-api's device events in: network keeps its own copy of what to poll."""

from dotmac_contracts.events import DeviceChanged, DeviceRegistered, DeviceRemoved
from network.inventory import repository
from servicekit.stream import Session


async def on_device_registered(event: DeviceRegistered, session: Session) -> None:
    await repository.keep(session, event.isp_id, event.device, event.registered_at)


async def on_device_changed(event: DeviceChanged, session: Session) -> None:
    await repository.keep(session, event.isp_id, event.device, event.changed_at)


async def on_device_removed(event: DeviceRemoved, session: Session) -> None:
    await repository.drop(session, event.device_id)


SUBSCRIBERS = (on_device_registered, on_device_changed, on_device_removed)
