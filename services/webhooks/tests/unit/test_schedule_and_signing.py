import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.config import SVIX_SCHEDULE_S
from webhooks.delivery.schedule import delay_before, retry_after
from webhooks.delivery.signing import Signer, new_secret


def test_the_default_schedule_is_svix_s():
    assert SVIX_SCHEDULE_S == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


def test_each_delay_is_jittered_within_bounds_and_the_schedule_runs_out():
    delays = [delay_before(3, SVIX_SCHEDULE_S, 0.1) for _ in range(200)]
    assert all(1620 <= d <= 1980 for d in delays)  # 30 min ± 10%
    assert len(set(delays)) > 1
    assert delay_before(0, SVIX_SCHEDULE_S, 0.1) == 0  # the first attempt is immediate
    assert delay_before(len(SVIX_SCHEDULE_S), SVIX_SCHEDULE_S, 0.1) is None


def test_retry_after_reads_seconds_and_dates_and_ignores_nonsense():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert retry_after("120") == 120
    assert retry_after(format_datetime(now + timedelta(minutes=5), usegmt=True), now) == 300
    assert retry_after("999999999") == 24 * 3600  # capped at a day
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_signatures_verify_with_standard_webhooks_and_a_rotation_carries_both():
    old, new = new_secret(), new_secret()
    assert old.startswith("whsec_") and len(base64.b64decode(old[6:])) == 32
    now = datetime.now(UTC)
    body = '{"type":"webhook.test","timestamp":"x","data":{}}'
    signature = Signer(new, old).signature("msg_1", now, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert len(signature.split(" ")) == 2
    assert Webhook(new).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(old).verify(body, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("test", "tset"), headers)
