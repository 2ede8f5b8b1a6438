"""The gateway config of `docker-compose.yml`, generated from the same routing table as the dev
stack's: `python -m devstack.compose` rewrites `deploy/compose/gateway.json`, and copies the
alert rules and dashboards into the chart (a test fails when a committed file is stale)."""

import json
from pathlib import Path

from devstack.components import gateway_config
from devstack.wiring import DEFAULT_SERVICE_PORTS, ROUTE_TABLE

ROOT = Path(__file__).resolve().parents[4]
GATEWAY_JSON = ROOT / "deploy" / "compose" / "gateway.json"
OBSERVABILITY = ROOT / "deploy" / "observability"
CHART_OBSERVABILITY = ROOT / "deploy" / "helm" / "dotmac" / "files" / "observability"
"""The chart can read files inside itself only: the alert rules and dashboards are copied
there."""


def chart_copies() -> dict[Path, str]:
    """What the chart's copies of the alert rules and dashboards must hold."""
    sources = [OBSERVABILITY / "alerts.yml", *sorted((OBSERVABILITY / "dashboards").glob("*.json"))]
    return {
        CHART_OBSERVABILITY / source.relative_to(OBSERVABILITY): source.read_text()
        for source in sources
    }


def compose_gateway_config() -> dict:
    """In compose every service is reached by its service name on its default port."""
    return gateway_config(
        listen=":8080",
        admin_listen="127.0.0.1:2019",  # its own healthcheck only: nothing changes it
        admin_origins=["127.0.0.1:2019"],
        routes=[(prefix, f"{name}:{DEFAULT_SERVICE_PORTS[name]}") for prefix, name in ROUTE_TABLE],
        tenant_api=f"tenant-api:{DEFAULT_SERVICE_PORTS['tenant-api']}",
        web_app=f"webapp:{DEFAULT_SERVICE_PORTS['webapp']}",
    )


def render() -> str:
    return json.dumps(compose_gateway_config(), indent=2) + "\n"


if __name__ == "__main__":
    GATEWAY_JSON.parent.mkdir(parents=True, exist_ok=True)
    GATEWAY_JSON.write_text(render())
    print(f"wrote {GATEWAY_JSON}")
    for copy, text in chart_copies().items():
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(text)
        print(f"wrote {copy}")
