"""Webhooks' own metrics at /metrics (the shared ones come from servicekit)."""

from prometheus_client import Counter, Histogram

ATTEMPT_OUTCOMES = Counter(
    "dotmac_webhook_attempts",
    "Delivery attempts, by outcome: succeeded, failed (an answer that is not 2xx), timeout, "
    "unreachable, refused (an address deliveries may not reach)",
    ["outcome"],
)
ATTEMPT_SECONDS = Histogram(
    "dotmac_webhook_attempt_duration_seconds",
    "How long an endpoint took to answer a delivery attempt",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
EVENT_TO_DELIVERY_SECONDS = Histogram(
    "dotmac_webhook_event_to_delivery_seconds",
    "From an event happening to its first delivery attempt succeeding",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ENDPOINTS_DISABLED = Counter(
    "dotmac_webhook_endpoints_disabled",
    "Endpoints the platform disabled: gone (answered 410), failing (for days)",
    ["reason"],
)
MESSAGES = Counter(
    "dotmac_webhook_messages",
    "Public events made from the platform's events, by audience",
    ["audience"],
)

OUTCOMES = ("succeeded", "failed", "timeout", "unreachable", "refused")
for _outcome in OUTCOMES:  # every series from the start, so rate() and alerts see zeros
    ATTEMPT_OUTCOMES.labels(_outcome)
for _reason in ("gone", "failing"):
    ENDPOINTS_DISABLED.labels(_reason)
for _audience in ("isp", "platform"):
    MESSAGES.labels(_audience)
