"""Alerts in the public catalogue: a device that stops answering is both `device.down` and
`alert.raised`; an interface alert is only `alert.raised`; nothing of the poller's internals
goes out."""

import uuid
from datetime import UTC, datetime

from dotmac_contracts.events import DeviceAlertCleared, DeviceAlertRaised
from dotmac_contracts.public import publicise


def raised(kind: str, if_index: int | None = None) -> DeviceAlertRaised:
    return DeviceAlertRaised(
        isp_id=uuid.uuid4(),
        alert_id=uuid.uuid4(),
        device_id=uuid.uuid4(),
        device_name="core-1",
        kind=kind,  # type: ignore[arg-type]
        if_index=if_index,
        summary="something",
        raised_at=datetime.now(UTC),
    )


def types(event) -> list[str]:
    now = datetime.now(UTC)
    return sorted(m.type for m in publicise(event, event_id=str(uuid.uuid4()), occurred_at=now))


def test_an_unreachable_device_is_device_down_and_an_alert():
    assert types(raised("device_unreachable")) == ["alert.raised", "device.down"]
    assert types(raised("interface_down", 2)) == ["alert.raised"]
    assert types(raised("utilisation_high", 1)) == ["alert.raised"]


def test_its_clearing_is_device_up_and_alert_cleared():
    alert = raised("device_unreachable")
    cleared = DeviceAlertCleared(
        isp_id=alert.isp_id,
        alert_id=alert.alert_id,
        device_id=alert.device_id,
        device_name=alert.device_name,
        kind="device_unreachable",
        occurrences=2,
        raised_at=alert.raised_at,
        cleared_at=datetime.now(UTC),
    )
    assert types(cleared) == ["alert.cleared", "device.up"]
    assert types(cleared.model_copy(update={"kind": "interface_down"})) == ["alert.cleared"]
