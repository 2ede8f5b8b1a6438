"""JetStream streams: one per bounded context, named after it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_s: float = 0  # 0 keeps messages until limits say otherwise
    duplicate_window_s: float = 120


STREAMS: tuple[Stream, ...] = (
    Stream("REGISTRATION", ("dotmac.registration.>",), "ISP sign-ups and demo requests"),
    Stream("LICENSING", ("dotmac.licensing.>",), "Licences and entitlements"),
    Stream("PROVISIONING", ("dotmac.provisioning.>",), "Deployments of ISP instances"),
    Stream("BILLING", ("dotmac.billing.>",), "The platform's billing of ISPs"),
    Stream("NETWORK", ("dotmac.network.>",), "Device inventory, alerts"),
    Stream("TENANT", ("dotmac.tenant.>",), "Events of the ISP framework's tenants"),
    # Live device readings: many, and worth nothing after a while (history is in rollups).
    Stream("TELEMETRY", ("dotmac.telemetry.>",), "Device telemetry, live", max_age_s=900),
)


def stream_for_subject(subject: str) -> Stream:
    """The stream that captures `subject` (subjects are `dotmac.<context>.…`)."""
    parts = subject.split(".")
    if len(parts) < 3 or parts[0] != "dotmac":
        raise ValueError(f"not a DotMac subject: {subject!r}")
    for stream in STREAMS:
        if stream.subjects[0] == f"dotmac.{parts[1]}.>":
            return stream
    raise ValueError(f"no stream captures {subject!r}")
