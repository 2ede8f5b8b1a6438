"""`DOTMAC_METRICS=false` leaves every measurement out (to compare what they cost): no
/metrics route and no request middleware; on, the default, both are there."""

import httpx
import pytest

from servicekit.config import PlatformSettings
from servicekit.http import create_service_app
from servicekit.metrics import configure_metrics, metrics_enabled


@pytest.fixture
def restore_metrics():
    yield
    configure_metrics(PlatformSettings())


@pytest.mark.parametrize("on", [True, False])
async def test_the_switch_decides_whether_a_service_measures_itself(on, restore_metrics):
    configure_metrics(PlatformSettings(metrics=on))
    app = create_service_app(name="probe", title="probe", description="probe", state={})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://probe"
    ) as http:
        await http.get("/healthz")
        answer = await http.get("/metrics")

    assert metrics_enabled() is on
    if on:
        assert answer.status_code == 200
        assert "dotmac_http_request_duration_seconds_count{" in answer.text
    else:
        assert answer.status_code == 404
