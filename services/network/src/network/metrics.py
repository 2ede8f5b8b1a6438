"""The network service's metrics at /metrics. Every series exists from the start (zero until
devices are polled), so the alert on missed deadlines reads a rate, never a gap."""

from prometheus_client import Counter, Histogram

POLLS = Counter(
    "dotmac_snmp_polls",
    "Device polls, by outcome: ok, unreachable, malformed, missed (no reading by the deadline)",
    ["outcome"],
)
for _outcome in ("ok", "unreachable", "malformed", "missed"):
    POLLS.labels(_outcome)
POLL_SECONDS = Histogram(
    "dotmac_snmp_poll_duration_seconds",
    "How long a device took to give a whole reading",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
