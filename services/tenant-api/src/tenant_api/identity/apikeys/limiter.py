"""Per-tenant request rates for API keys: a token bucket per ISP, in this replica's memory.

The bucket holds a minute's worth of requests (so a client may burst up to its per-minute rate)
and refills continuously. Each replica counts on its own: behind N replicas an ISP gets up to N
times its rate, which the gateway's balancing evens out; a shared counter would put a network
round trip on every API request.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[UUID, _Bucket] = {}

    def take(self, tenant_id: UUID, per_minute: int) -> float:
        """Spend one request of `tenant_id`'s rate. Returns 0 if allowed, otherwise the seconds
        until one would be."""
        now = self._clock()
        bucket = self._buckets.get(tenant_id)
        if bucket is None:
            bucket = self._buckets[tenant_id] = _Bucket(float(per_minute), now)
        per_second = per_minute / 60.0
        bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.updated) * per_second)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / per_second


def retry_after(seconds: float) -> int:
    """`Retry-After` is whole seconds: round up, so a client that waits that long gets in."""
    return max(1, math.ceil(seconds))
