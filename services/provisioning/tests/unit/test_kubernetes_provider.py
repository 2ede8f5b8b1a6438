"""The kubernetes provider without a cluster: its manifests are valid Kubernetes 1.35 objects
sized by the tier table, and kubectl failures become the right kind of error."""

import os
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers import InstanceInfo, Provider
from provisioning.providers.kubernetes import (
    KubectlFailed,
    KubernetesProvider,
    kubectl_error,
    manifests_yaml,
    render_manifests,
    storage_quantity,
)

IMAGE = "registry.example.com/dotmac/isp-framework:1.4.2"
ISP_IDS = {
    Tier.FREE: "0b6f3c1e-8d4a-4c6b-9f1e-2a7d5c0b6e41",
    Tier.BASIC: "1c7a4d2f-9e5b-4d7c-8a2f-3b8e6d1c7f52",
    Tier.PREMIUM: "2d8b5e3a-af6c-4e8d-9b3a-4c9f7e2d8a63",
    Tier.ENTERPRISE: "3e9c6f4b-b07d-4f9e-8c4b-5da08f3e9b74",
}


def onboarding(tier: Tier = Tier.BASIC, isp_id: str | None = None) -> Onboarding:
    isp_id = isp_id or ISP_IDS[tier]
    return Onboarding(
        isp_id=isp_id,
        deployment_id="9f0e1d2c-3b4a-4596-8877-66554433aa11",
        slug="fibrenet",
        company_name="FibreNet Ltd",
        tier=tier.value,
        region="eu-west-1",
        provider="kubernetes",
        domain="fibrenet.example.com",
        contact_email="noc@fibrenet.example.com",
    )


def by_kind(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds = {m["kind"]: m for m in manifests}
    assert len(kinds) == len(manifests)
    return kinds


# Kubernetes quantities, parsed here rather than by the code under test.
_SUFFIXES = {
    "m": Decimal("0.001"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}


def quantity(text: str) -> Decimal:
    number = text.rstrip("mkMGTi")
    return Decimal(number) * _SUFFIXES[text[len(number) :]]


def sold_bytes(storage: str) -> Decimal:
    """The tier table's "50GB" / "1TB", in bytes as sold (decimal units)."""
    return quantity(storage.removesuffix("B"))


@pytest.mark.parametrize("tier", list(Tier))
def test_the_tier_table_sizes_the_instance(tier: Tier) -> None:
    table = TIER_RESOURCES[tier]
    objects = by_kind(render_manifests(onboarding(tier), image=IMAGE))
    deployment, hpa, quota = (
        objects["Deployment"],
        objects["HorizontalPodAutoscaler"],
        objects["ResourceQuota"],
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    cpu, memory = quantity(table.cpu_request), quantity(table.memory_request)

    assert deployment["spec"]["replicas"] == table.min_replicas
    assert quantity(requests["cpu"]) == cpu
    assert quantity(requests["memory"]) == memory
    assert quantity(limits["cpu"]) == 2 * cpu
    assert quantity(limits["memory"]) == 2 * memory

    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (
        table.min_replicas,
        table.max_replicas,
    )
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["spec"]["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }

    hard = quota["spec"]["hard"]
    assert quantity(hard["requests.cpu"]) == cpu * table.max_replicas
    assert quantity(hard["requests.memory"]) == memory * table.max_replicas
    assert quantity(hard["limits.cpu"]) == 2 * cpu * table.max_replicas
    assert quantity(hard["limits.memory"]) == 2 * memory * table.max_replicas
    assert int(hard["pods"]) == table.max_replicas + 1
    # the binary unit of the number sold: never less than the tier promises
    assert hard["requests.storage"] == storage_quantity(table.storage)
    assert quantity(hard["requests.storage"]) >= sold_bytes(table.storage)
    assert quantity(hard["requests.storage"]) < sold_bytes(table.storage) * Decimal("1.1")


def test_storage_is_granted_in_the_binary_unit_of_the_number_sold() -> None:
    assert [storage_quantity(TIER_RESOURCES[t].storage) for t in Tier] == [
        "10Gi",
        "50Gi",
        "200Gi",
        "1Ti",
    ]
    with pytest.raises(ValueError):
        storage_quantity("1.5TB")


def test_manifests_of_every_tier_are_valid_kubernetes_1_35(tmp_path: Path) -> None:
    rendered = [m for tier in Tier for m in render_manifests(onboarding(tier), image=IMAGE)]
    stream = tmp_path / "manifests.yaml"
    stream.write_text(manifests_yaml(rendered))

    documents = list(yaml.safe_load_all(stream.read_text()))

    assert documents == rendered
    assert "*id" not in stream.read_text()  # no YAML aliases for tools that do not follow them
    for document in documents:
        kubernetes_validate.validate(document, "1.35.0", strict=True)


def test_the_validation_catches_a_field_kubernetes_does_not_know() -> None:
    deployment = by_kind(render_manifests(onboarding(), image=IMAGE))["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.35.0", strict=True)


@pytest.mark.parametrize("tier", list(Tier))
def test_everything_lives_in_the_isp_namespace_under_the_same_labels(tier: Tier) -> None:
    isp = onboarding(tier)
    manifests = render_manifests(isp, image=IMAGE)
    namespace = f"isp-{isp.isp_id}"
    shared = {
        "app.kubernetes.io/part-of": "dotmac",
        "dotmac.io/isp-id": isp.isp_id,
        "dotmac.io/tier": tier.value,
        "dotmac.io/region": "eu-west-1",
    }

    assert manifests[0]["kind"] == "Namespace"  # applied first, so the rest has a home
    assert manifests[0]["metadata"]["name"] == namespace
    assert [m["metadata"]["namespace"] for m in manifests[1:]] == [namespace] * 6
    common = dict(manifests[1]["metadata"]["labels"])
    for manifest in manifests:
        labels = manifest["metadata"]["labels"]
        assert labels.items() >= shared.items()
        assert labels.items() >= common.items()
    pod_labels = by_kind(manifests)["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels == common


def test_no_two_objects_share_kind_and_name() -> None:
    rendered = [m for tier in Tier for m in render_manifests(onboarding(tier), image=IMAGE)]
    keys = [(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in rendered]

    assert len(keys) == 7 * len(Tier)
    assert len(set(keys)) == len(keys)
    one = render_manifests(onboarding(), image=IMAGE)
    assert len({(m["kind"], m["metadata"]["name"]) for m in one}) == len(one)


def test_rendering_is_deterministic() -> None:
    first = render_manifests(onboarding(Tier.PREMIUM), image=IMAGE)
    second = render_manifests(onboarding(Tier.PREMIUM), image=IMAGE)

    assert first == second
    assert manifests_yaml(first) == manifests_yaml(second)
    assert render_manifests(onboarding(Tier.BASIC), image=IMAGE) != first


def test_the_service_reaches_the_pods_on_the_app_port() -> None:
    objects = by_kind(render_manifests(onboarding(), image=IMAGE))
    pod = objects["Deployment"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    service = objects["Service"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    (service_port,) = service["spec"]["ports"]

    assert service["spec"]["type"] == "ClusterIP"
    assert service_port["port"] == 80
    assert ports[service_port["targetPort"]] == 8000
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    selector = objects["Deployment"]["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()
    assert "dotmac.io/tier" not in selector  # a tier change must not orphan the pods


def test_the_container_runs_unprivileged_with_health_probes_and_its_identity() -> None:
    isp = onboarding(Tier.PREMIUM)
    pod = by_kind(render_manifests(isp, image=IMAGE))["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = container["securityContext"]

    assert container["image"] == IMAGE
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "ISP_NAME": "fibrenet",
        "PLUGIN_TIER": "premium",
        "TENANT_ID": isp.isp_id,
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    for probe in (container["readinessProbe"], container["livenessProbe"]):
        assert probe["httpGet"] == {"path": "/healthz", "port": "http"}


def test_the_isp_domain_is_routed_to_the_service_over_tls_from_cert_manager() -> None:
    objects = by_kind(
        render_manifests(
            onboarding(), image=IMAGE, ingress_class="traefik", cluster_issuer="letsencrypt-prod"
        )
    )
    ingress, service = objects["Ingress"], objects["Service"]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == (
        "letsencrypt-prod"
    )
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "traefik"
    hosts = ["fibrenet.example.com", "www.fibrenet.example.com"]
    assert spec["tls"] == [{"hosts": hosts, "secretName": "isp-framework-tls"}]
    assert [rule["host"] for rule in spec["rules"]] == hosts
    for rule in spec["rules"]:
        (path,) = rule["http"]["paths"]
        assert (path["path"], path["pathType"]) == ("/", "Prefix")
        backend = path["backend"]["service"]
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_only_the_gateway_gets_in_and_only_dns_and_the_platform_are_reached() -> None:
    objects = by_kind(
        render_manifests(
            onboarding(), image=IMAGE, gateway_namespace="edge", platform_namespace="core"
        )
    )
    policy = objects["NetworkPolicy"]["spec"]

    def namespaces(peers: list[dict[str, Any]]) -> list[str]:
        return [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers]

    assert policy["podSelector"] == {}  # every pod of the ISP
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    (ingress,) = policy["ingress"]
    assert namespaces(ingress["from"]) == ["edge", "ingress-nginx"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8000}]
    dns, platform = policy["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert namespaces(platform["to"]) == ["core"]
    assert "ports" not in platform

    default = by_kind(render_manifests(onboarding(), image=IMAGE))["NetworkPolicy"]["spec"]
    assert namespaces(default["ingress"][0]["from"]) == ["dotmac-gateway", "ingress-nginx"]
    assert namespaces(default["egress"][1]["to"]) == ["dotmac"]


def test_an_unknown_tier_or_an_id_that_cannot_name_a_namespace_needs_a_person() -> None:
    with pytest.raises(ConfigurationError, match="tier"):
        render_manifests(Onboarding(**{**onboarding().__dict__, "tier": "platinum"}), image=IMAGE)
    with pytest.raises(ConfigurationError, match="namespace"):
        render_manifests(onboarding(isp_id="Not_A_Label"), image=IMAGE)


INSTANCE = InstanceInfo("isp-framework.isp-x.svc.cluster.local", "http://isp-x", "")


def every_step(provider: KubernetesProvider, isp: Onboarding) -> dict[str, Any]:
    return {
        "provision": lambda: provider.provision(isp),
        "deploy": lambda: provider.deploy(isp, INSTANCE),
        "configure": lambda: provider.configure(isp, INSTANCE),
        "validate": lambda: provider.validate(isp, INSTANCE),
        "unconfigure": lambda: provider.unconfigure(isp),
        "deprovision": lambda: provider.deprovision(isp),
    }


STEPS = ["provision", "deploy", "configure", "validate", "unconfigure", "deprovision"]


@pytest.mark.parametrize("kubeconfig", [None, ""])
@pytest.mark.parametrize("step", STEPS)
async def test_without_a_kubeconfig_every_step_says_what_to_set(
    step: str, kubeconfig: str | None
) -> None:
    provider: Provider = KubernetesProvider(kubeconfig=kubeconfig, image=IMAGE)
    assert provider.name == "kubernetes"
    assert isinstance(provider, KubernetesProvider)

    with pytest.raises(ConfigurationError, match="set PROVISIONING_KUBECONFIG"):
        await every_step(provider, onboarding())[step]()


@pytest.fixture
def refusing_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    """A kubeconfig for an API server on a local port that is bound (so nobody else takes it)
    but not listening, so every connection is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "gone", "cluster": {"server": f"https://127.0.0.1:{port}"}}
                    ],
                    "users": [{"name": "provisioning", "user": {"token": "not-a-secret"}}],
                    "contexts": [
                        {"name": "gone", "context": {"cluster": "gone", "user": "provisioning"}}
                    ],
                    "current-context": "gone",
                }
            )
        )
        yield kubeconfig


async def test_an_unreachable_cluster_is_retried_not_failed(refusing_kubeconfig: Path) -> None:
    provider = KubernetesProvider(
        kubeconfig=refusing_kubeconfig, image=IMAGE, request_timeout=2, rollout_timeout=3
    )
    isp = onboarding()
    started = time.monotonic()

    for step in STEPS:
        with pytest.raises(KubectlFailed, match="refused") as raised:
            await every_step(provider, isp)[step]()
        assert not isinstance(raised.value, ConfigurationError), step

    assert time.monotonic() - started < 15


async def test_a_missing_kubeconfig_file_or_kubectl_needs_a_person(
    tmp_path: Path, refusing_kubeconfig: Path
) -> None:
    missing = KubernetesProvider(kubeconfig=tmp_path / "nowhere", image=IMAGE)
    with pytest.raises(ConfigurationError, match="does not exist"):
        await missing.provision(onboarding())

    no_kubectl = KubernetesProvider(
        kubeconfig=refusing_kubeconfig, image=IMAGE, kubectl=str(tmp_path / "kubectl")
    )
    with pytest.raises(ConfigurationError, match="install kubectl"):
        await no_kubectl.deprovision(onboarding())


def fake_kubectl(directory: Path, body: str) -> Path:
    """A kubectl that records each call's arguments and stdin in `directory`, then runs body."""
    script = directory / "kubectl"
    script.write_text(
        "#!/bin/sh\n"
        'dir=$(dirname "$0")\n'
        'n=$(cat "$dir/calls" 2>/dev/null | wc -l)\n'
        'printf \'%s\\n\' "$*" >> "$dir/calls"\n'
        'cat > "$dir/stdin-$((n))"\n' + body
    )
    script.chmod(0o755)
    return script


async def test_each_step_sends_kubectl_its_part_of_the_manifests(
    tmp_path: Path, refusing_kubeconfig: Path
) -> None:
    kubectl = fake_kubectl(tmp_path, 'echo "applied/everything unchanged"\n')
    provider = KubernetesProvider(kubeconfig=refusing_kubeconfig, image=IMAGE, kubectl=str(kubectl))
    isp = onboarding(Tier.ENTERPRISE)
    namespace = f"isp-{isp.isp_id}"
    common = f"--kubeconfig {refusing_kubeconfig} --request-timeout=10s"

    def sent(call: int) -> list[dict[str, Any]]:
        return list(yaml.safe_load_all((tmp_path / f"stdin-{call}").read_text()))

    instance = await provider.provision(isp)
    assert instance.host == f"isp-framework.{namespace}.svc.cluster.local"
    assert instance.url == f"http://{instance.host}"
    assert "applied/everything unchanged" in instance.detail
    await provider.deploy(isp, instance)
    configured = await provider.configure(isp, instance)
    assert "fibrenet.example.com and www.fibrenet.example.com routed" in configured
    await provider.validate(isp, instance)
    await provider.unconfigure(isp)
    await provider.deprovision(isp)
    await provider.provision(isp)  # a retry sends the same objects again

    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [
        f"{common} apply -f -",
        f"{common} apply -f -",
        f"{common} apply -f -",
        f"{common} rollout status deployment/isp-framework -n {namespace} --timeout=40s",
        f"{common} delete ingress isp-framework -n {namespace} --ignore-not-found",
        f"{common} delete secret isp-framework-tls -n {namespace} --ignore-not-found",
        f"{common} delete namespace {namespace} --ignore-not-found --wait=false",
        f"{common} apply -f -",
    ]
    everything = render_manifests(isp, image=IMAGE)
    assert [m["kind"] for m in sent(0)] == ["Namespace", "ResourceQuota", "NetworkPolicy"]
    assert [m["kind"] for m in sent(1)] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    assert [m["kind"] for m in sent(2)] == ["Ingress"]
    assert sent(0) + sent(1) + sent(2) == everything
    assert sent(7) == sent(0)


async def test_a_refusal_through_kubectl_fails_the_step_for_good(
    tmp_path: Path, refusing_kubeconfig: Path
) -> None:
    kubectl = fake_kubectl(
        tmp_path,
        'echo \'Error from server (Forbidden): namespaces is forbidden: User "p" cannot '
        'create resource "namespaces"\' >&2\nexit 1\n',
    )
    provider = KubernetesProvider(kubeconfig=refusing_kubeconfig, image=IMAGE, kubectl=str(kubectl))

    with pytest.raises(ConfigurationError, match=r"lacks the rights.*cannot create"):
        await provider.provision(onboarding())


async def test_a_kubectl_that_hangs_is_stopped_and_retried(
    tmp_path: Path, refusing_kubeconfig: Path
) -> None:
    kubectl = fake_kubectl(tmp_path, 'echo $$ > "$dir/pid"\nexec sleep 30\n')
    provider = KubernetesProvider(
        kubeconfig=refusing_kubeconfig, image=IMAGE, kubectl=str(kubectl), request_timeout=0.2
    )
    started = time.monotonic()

    with pytest.raises(KubectlFailed, match=r"took longer than 0\.6 s"):
        await provider.deprovision(onboarding())

    assert time.monotonic() - started < 5
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the hung kubectl was killed and reaped, not left behind


NEEDS_A_PERSON = [
    "Error from server (Forbidden): error when retrieving current configuration of: namespaces "
    '"isp-x" is forbidden: User "system:serviceaccount:dotmac:provisioning" cannot get resource '
    '"namespaces" in API group "" in the namespace "isp-x"',
    "error: You must be logged in to the server (Unauthorized)",
    'Error from server (Forbidden): error when creating "STDIN": pods "isp-framework-1" is '
    "forbidden: exceeded quota: tier-quota, requested: requests.cpu=500m, used: "
    "requests.cpu=2500m, limited: requests.cpu=2500m",
    'The Deployment "isp-framework" is invalid: spec.template.spec.containers[0].image: '
    "Required value",
    'error: error validating "STDIN": error validating data: ValidationError(Deployment.spec): '
    'unknown field "replica" in io.k8s.api.apps.v1.DeploymentSpec',
    "Unable to connect to the server: tls: failed to verify certificate: x509: certificate "
    "signed by unknown authority",
    'error: deployment "isp-framework" exceeded its progress deadline',
]
TRANSIENT = [
    "E1124 memcache.go:265] couldn't get current server API group list: Get \"https://10.0.0.1"
    '/api?timeout=10s": dial tcp 10.0.0.1:443: connect: connection refused\n'
    "The connection to the server 10.0.0.1:443 was refused - did you specify the right host or "
    "port?",
    'error: error validating "STDIN": error validating data: failed to download openapi: Get '
    '"https://10.0.0.1/openapi/v2?timeout=10s": dial tcp 10.0.0.1:443: connect: connection '
    "refused; if you choose to ignore these errors, turn validation off with --validate=false",
    "Unable to connect to the server: net/http: TLS handshake timeout",
    "Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout",
    "error: timed out waiting for the condition",
    "Error from server (ServiceUnavailable): the server is currently unable to handle the request",
]


@pytest.mark.parametrize("stderr", NEEDS_A_PERSON)
def test_refusals_and_invalid_manifests_need_a_person(stderr: str) -> None:
    error = kubectl_error("applying Deployment in isp-x", stderr)

    assert isinstance(error, ConfigurationError)
    assert str(error).startswith("applying Deployment in isp-x failed: ")
    assert stderr.splitlines()[-1] in str(error)


@pytest.mark.parametrize("stderr", TRANSIENT)
def test_unreachable_or_slow_clusters_are_retried(stderr: str) -> None:
    error = kubectl_error("applying Deployment in isp-x", stderr)

    assert type(error) is KubectlFailed
    assert stderr.splitlines()[-1] in str(error)
