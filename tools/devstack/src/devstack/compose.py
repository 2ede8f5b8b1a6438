"""The gateway config of `docker-compose.yml`, generated from the same routing table as the dev
stack's: `python -m devstack.compose` rewrites `deploy/compose/gateway.json` (a test fails when
the committed file is stale)."""

import json
from pathlib import Path

from devstack.components import gateway_config
from devstack.wiring import DEFAULT_SERVICE_PORTS, ROUTE_TABLE

GATEWAY_JSON = Path(__file__).resolve().parents[4] / "deploy" / "compose" / "gateway.json"


def compose_gateway_config() -> dict:
    """In compose every service is reached by its service name on its default port."""
    return gateway_config(
        listen=":8080",
        admin_listen="127.0.0.1:2019",  # its own healthcheck only: nothing changes it
        admin_origins=["127.0.0.1:2019"],
        routes=[(prefix, f"{name}:{DEFAULT_SERVICE_PORTS[name]}") for prefix, name in ROUTE_TABLE],
        tenant_api=f"tenant-api:{DEFAULT_SERVICE_PORTS['tenant-api']}",
    )


def render() -> str:
    return json.dumps(compose_gateway_config(), indent=2) + "\n"


if __name__ == "__main__":
    GATEWAY_JSON.parent.mkdir(parents=True, exist_ok=True)
    GATEWAY_JSON.write_text(render())
    print(f"wrote {GATEWAY_JSON}")
