"""docker-compose.yml runs what the dev stack and the Helm chart run, wired the same way.

No Docker engine runs here, so the file is parsed, not started: every process of devstack's
SERVICES is in it with the dev stack's port, the chart's variable names and a health check on
/healthz, beside the infrastructure (Postgres, NATS, Temporal, Caddy, Jaeger) as containers.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from devstack.compose import GATEWAY_JSON
from devstack.wiring import (
    API_SERVICES,
    DEFAULT_SERVICE_PORTS,
    SERVICES,
    Ports,
    process_environment,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
# The chart's render to compare with: defaults, plus the optional settings compose also sets.
CHART_ARGS = ("--set", "tracing.otlpEndpoint=http://jaeger:4318")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document["services"]


def chart_environment(chart: Any, process: str) -> Any:
    rendered = chart.render(*CHART_ARGS)
    deployment = rendered.named("Deployment", chart.name(process))
    assert deployment is not None, process
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return rendered.environment(container)


@pytest.mark.parametrize("process", [s.name for s in SERVICES])
def test_every_process_is_in_compose_with_the_dev_stacks_command_port_and_role(compose, process):
    service = next(s for s in SERVICES if s.name == process)
    assert process in compose, f"docker-compose.yml lacks {process}"
    entry = compose[process]
    assert entry["command"] == ["python", *service.command]
    environment = {k: str(v) for k, v in entry["environment"].items()}
    expected = process_environment(service, Ports(), {})  # its role and <PREFIX>PORT
    assert {k: environment.get(k) for k in expected} == expected
    assert environment[f"{service.env_prefix}HOST"] == "0.0.0.0"
    port = DEFAULT_SERVICE_PORTS[process]
    assert f"127.0.0.1:{port}:{port}" in entry["ports"]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(entry["healthcheck"]["test"])
    assert entry["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


@pytest.mark.parametrize("process", [s.name for s in SERVICES])
def test_compose_and_the_chart_give_a_process_the_same_variables(chart, compose, process):
    """Every non-secret setting the chart gives is in compose, with the same port and role;
    compose sets nothing the chart does not know (a secret may come as its `_FILE` variant,
    and compose may leave a secret to its dev-only default)."""
    chart_env = chart_environment(chart, process)
    compose_env = {k: str(v) for k, v in compose[process]["environment"].items()}
    assert set(chart_env.settings) <= set(compose_env), (
        f"compose lacks {sorted(set(chart_env.settings) - set(compose_env))}"
    )
    known = chart_env.names | {f"{name}_FILE" for name in chart_env.secrets}
    assert set(compose_env) <= known, f"the chart lacks {sorted(set(compose_env) - known)}"
    variable = f"{next(s for s in SERVICES if s.name == process).env_prefix}PORT"
    assert compose_env[variable] == chart_env.settings[variable], variable


def test_compose_points_every_process_at_the_compose_infrastructure(compose):
    env = {k: str(v) for k, v in compose["registration"]["environment"].items()}
    hosts = {
        "DOTMAC_DATABASE_URL": ("postgres", 5432),
        "DOTMAC_NATS_URL": ("nats", 4222),
        "DOTMAC_TEMPORAL_ADDRESS": ("temporal", 7233),
        "DOTMAC_GATEWAY_URL": ("gateway", 8080),
        "DOTMAC_TENANT_API_URL": ("tenant-api", DEFAULT_SERVICE_PORTS["tenant-api"]),
        "DOTMAC_OTLP_ENDPOINT": ("jaeger", 4318),
    }
    for variable, (host, port) in hosts.items():
        value = env[variable] if "://" in env[variable] else f"grpc://{env[variable]}"
        address = urlsplit(value)
        assert (address.hostname, address.port) == (host, port), variable
        assert host in compose, f"{variable} names {host}, which compose does not run"
    assert (env["DOTMAC_SMTP_HOST"], env["DOTMAC_SMTP_PORT"]) == ("mail", str(Ports().smtp))


def test_compose_runs_the_infrastructure_as_containers(compose):
    images = {name: entry.get("image", "") for name, entry in compose.items()}
    for name, image in {
        "postgres": "postgres:",
        "nats": "nats:",
        "temporal": "temporalio/temporal:",
        "gateway": "caddy:",
        "jaeger": "jaegertracing/all-in-one:",
    }.items():
        assert images.get(name, "").startswith(image), name
    assert "-js" in compose["nats"]["command"], "NATS without JetStream"
    temporal = " ".join(compose["temporal"]["command"])
    for attribute in ("IspId", "Tier", "Region", "Provider"):
        assert f"{attribute}=Keyword" in temporal
    # The dev stack's host ports, published on loopback only.
    ports = Ports()
    assert f"127.0.0.1:{ports.postgres}:5432" in compose["postgres"]["ports"]
    assert f"127.0.0.1:{ports.gateway}:8080" in compose["gateway"]["ports"]
    assert f"127.0.0.1:{ports.temporal_ui}:8233" in compose["temporal"]["ports"]
    for name in ("postgres", "nats", "temporal", "gateway"):
        assert "test" in compose[name]["healthcheck"], f"{name} has no health check"


def test_the_compose_gateway_uses_the_generated_config_and_waits_for_healthy_services(compose):
    gateway = compose["gateway"]
    mount = f"./{GATEWAY_JSON.relative_to(ROOT)}:/etc/caddy/gateway.json:ro"
    assert mount in gateway["volumes"]
    assert gateway["command"][-1] == "/etc/caddy/gateway.json"
    assert gateway["depends_on"] == {s.name: {"condition": "service_healthy"} for s in API_SERVICES}


def test_compose_migrates_every_service_with_a_schema_before_starting_them(compose):
    command = compose["migrate"]["command"]
    loop = command.split("for s in", 1)[1].split(";", 1)[0].split()
    assert sorted(loop) == sorted(s.module for s in API_SERVICES)
    assert "python -m $$s migrate" in command


def test_compose_scrapes_every_process_and_provisions_the_dashboards(compose):
    import yaml

    observability = ROOT / "deploy" / "observability"
    config = yaml.safe_load((observability / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    processes = {
        name: entry for name, entry in compose.items() if "serve" in (entry.get("command") or [])
    }
    assert len(processes) >= 7
    for name, entry in processes.items():
        port = next(
            v
            for k, v in entry["environment"].items()
            if k.endswith("_PORT") and not k.startswith("DOTMAC_")
        )
        assert f"{name}:{port}" in targets, f"Prometheus does not scrape {name}"
    assert compose["prometheus"]["image"].startswith("prom/prometheus:")
    assert "/etc/prometheus/alerts.yml" in config["rule_files"]
    mounts = " ".join(compose["grafana"]["volumes"])
    assert "./deploy/observability/dashboards:/var/lib/grafana/dashboards" in mounts
    datasources = yaml.safe_load((observability / "grafana" / "datasources.yml").read_text())
    assert {d["uid"] for d in datasources["datasources"]} >= {"prometheus", "jaeger"}
