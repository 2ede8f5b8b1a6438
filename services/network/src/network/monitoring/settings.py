"""An ISP's monitoring settings as the poller and the alert watch use them: its row of
network.tenants where it has one, the service's defaults where not."""

from dataclasses import dataclass
from typing import Any

from network.config import Settings

POLLED_WITH = "snmp_integration"
MAILED_WITH = "email_notifications"


@dataclass(frozen=True)
class WatchSettings:
    poll_interval_s: float
    unreachable_polls: int = 3
    utilisation_pct: int = 90
    utilisation_minutes: int = 5
    alert_emails: bool = True
    mail_to: str | None = None
    """Where alert mail goes; None: nowhere (no contact, mail off, or not licensed)."""


def watch_settings(row: Any | None, settings: Settings) -> WatchSettings:
    if row is None:
        return WatchSettings(poll_interval_s=settings.poll_interval_s)
    mail_to = row.alert_email_to or row.contact_email
    licensed = row.plugins is not None and MAILED_WITH in row.plugins
    return WatchSettings(
        poll_interval_s=float(row.poll_interval_s or settings.poll_interval_s),
        unreachable_polls=row.unreachable_polls,
        utilisation_pct=row.utilisation_pct,
        utilisation_minutes=row.utilisation_minutes,
        alert_emails=row.alert_emails,
        mail_to=mail_to if row.alert_emails and licensed else None,
    )


def polled(row: Any | None) -> bool:
    """Whether the ISP's devices are polled: unless its licence is known and lacks
    `snmp_integration` (tenant-api takes devices only from ISPs with network monitoring, so
    a device whose ISP's licence has not reached us yet is polled)."""
    return row is None or row.plugins is None or POLLED_WITH in row.plugins
