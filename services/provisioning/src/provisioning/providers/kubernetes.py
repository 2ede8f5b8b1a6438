"""The ISP gets its own namespace `isp-<isp_id>` on a Kubernetes cluster: the ISP framework as a
Deployment sized by its tier (DESIGN.md §4, `dotmac_contracts.capacity`), a Service, an
autoscaler, a quota that caps the tier, a network policy that only lets the gateway and the
cluster's ingress controller in, and an Ingress that routes the ISP's domain (and `www.`) to
it over TLS, with a certificate cert-manager issues for the Ingress (its `cluster-issuer`
annotation: cert-manager's ingress-shim makes the Certificate and renews it).

`render_manifests` is pure, so the manifests can be checked without a cluster; the provider
applies them with `kubectl`, the manifests on its stdin.
"""

import asyncio
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from dotmac_contracts.capacity import TIER_RESOURCES, Resources
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo

APP = "isp-framework"
APP_PORT = 8000
SERVICE_PORT = 80
HEALTH_PATH = "/healthz"
CPU_TARGET_PERCENT = 70
MEMORY_TARGET_PERCENT = 80
LIMIT_FACTOR = 2
RUN_AS = 10001  # any non-root id: the image need not declare a numeric USER

TLS_SECRET = f"{APP}-tls"

PROVISION_KINDS = frozenset({"Namespace", "ResourceQuota", "NetworkPolicy"})
DEPLOY_KINDS = frozenset({"Deployment", "Service", "HorizontalPodAutoscaler"})
CONFIGURE_KINDS = frozenset({"Ingress"})

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def namespace_of(onboarding: Onboarding) -> str:
    return f"isp-{onboarding.isp_id}"


def service_host(onboarding: Onboarding) -> str:
    return f"{APP}.{namespace_of(onboarding)}.svc.cluster.local"


def storage_quantity(storage: str) -> str:
    """The tier table sells decimal units ("50GB", "1TB"); the quota grants the binary unit of
    the same number ("50Gi", "1Ti"), which is about 7% (10% for TB) more bytes, so an ISP never
    gets less than its tier promises and the quota reads like the price list."""
    for sold, granted in (("TB", "Ti"), ("GB", "Gi")):
        if storage.endswith(sold) and storage[: -len(sold)].isdigit():
            return f"{int(storage[: -len(sold)])}{granted}"
    raise ValueError(f"storage {storage!r} is not a whole number of GB or TB")


def _millicores(quantity: str) -> int:
    if quantity.endswith("m"):
        return int(quantity[:-1])
    return int(Decimal(quantity) * 1000)


def _cpu(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


_BINARY = {"Ki": 1, "Mi": 1024, "Gi": 1024**2, "Ti": 1024**3}


def _kibibytes(quantity: str) -> int:
    number, unit = quantity[:-2], quantity[-2:]
    if unit not in _BINARY or not number.isdigit():
        raise ValueError(f"memory {quantity!r} is not a whole number of Ki, Mi, Gi or Ti")
    return int(number) * _BINARY[unit]


def _memory(kibibytes: int) -> str:
    unit = next(u for u in ("Ti", "Gi", "Mi", "Ki") if kibibytes % _BINARY[u] == 0)
    return f"{kibibytes // _BINARY[unit]}{unit}"


def _scaled(resources: Resources, replicas: int, factor: int = 1) -> tuple[str, str]:
    cpu = _millicores(resources.cpu_request) * replicas * factor
    memory = _kibibytes(resources.memory_request) * replicas * factor
    return _cpu(cpu), _memory(memory)


def _checked(onboarding: Onboarding) -> Resources:
    """The tier's resources, once the values that become names and labels are known valid
    (a bad one would fail the same way on every retry)."""
    try:
        resources = TIER_RESOURCES[Tier(onboarding.tier)]
    except ValueError:
        raise ConfigurationError(f"unknown tier {onboarding.tier!r}") from None
    namespace = namespace_of(onboarding)
    if len(namespace) > 63 or not _DNS_LABEL.match(namespace):
        raise ConfigurationError(
            f"ISP id {onboarding.isp_id!r} cannot name a Kubernetes namespace "
            "(lowercase letters, digits and '-', at most 59 characters)"
        )
    if len(onboarding.region) > 63 or not _LABEL_VALUE.match(onboarding.region):
        raise ConfigurationError(f"region {onboarding.region!r} cannot be a Kubernetes label")
    return resources


def render_manifests(
    onboarding: Onboarding,
    *,
    image: str,
    gateway_namespace: str = "dotmac-gateway",
    platform_namespace: str = "dotmac",
    ingress_namespace: str = "ingress-nginx",
    ingress_class: str = "nginx",
    cluster_issuer: str = "letsencrypt",
) -> list[dict[str, Any]]:
    """Every object of one ISP's instance: the namespace and what confines it (quota, network
    policy) first, then the workload (Deployment, Service, autoscaler), then its route from
    the outside (Ingress). Same input, same output."""
    resources = _checked(onboarding)
    namespace = namespace_of(onboarding)
    labels = {
        "app.kubernetes.io/name": APP,
        "app.kubernetes.io/instance": namespace,
        "app.kubernetes.io/part-of": "dotmac",
        "app.kubernetes.io/managed-by": "dotmac-provisioning",
        "dotmac.io/isp-id": onboarding.isp_id,
        "dotmac.io/tier": onboarding.tier,
        "dotmac.io/region": onboarding.region,
    }
    selector = {"app.kubernetes.io/name": APP, "dotmac.io/isp-id": onboarding.isp_id}

    def meta(name: str) -> dict[str, Any]:
        return {"name": name, "namespace": namespace, "labels": dict(labels)}

    request_cpu, request_memory = resources.cpu_request, resources.memory_request
    limit_cpu, limit_memory = _scaled(resources, 1, LIMIT_FACTOR)
    quota_cpu, quota_memory = _scaled(resources, resources.max_replicas)
    quota_limit_cpu, quota_limit_memory = _scaled(resources, resources.max_replicas, LIMIT_FACTOR)

    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                # the pod below meets the restricted profile; the label keeps it that way
                "labels": {**labels, "pod-security.kubernetes.io/enforce": "restricted"},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("tier-quota"),
            "spec": {
                "hard": {
                    "requests.cpu": quota_cpu,
                    "requests.memory": quota_memory,
                    "limits.cpu": quota_limit_cpu,
                    "limits.memory": quota_limit_memory,
                    "requests.storage": storage_quantity(resources.storage),
                    # the autoscaler's ceiling plus the one pod a rollout adds
                    "pods": str(resources.max_replicas + 1),
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("isolation"),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from": [
                            _namespace_peer(gateway_namespace),
                            _namespace_peer(ingress_namespace),
                        ],
                        "ports": [{"protocol": "TCP", "port": APP_PORT}],
                    }
                ],
                "egress": [
                    {
                        "to": [_namespace_peer("kube-system")],
                        "ports": [
                            {"protocol": "UDP", "port": 53},
                            {"protocol": "TCP", "port": 53},
                        ],
                    },
                    {"to": [_namespace_peer(platform_namespace)]},
                ],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(APP),
            "spec": {
                # The autoscaler owns the count afterwards; the deploy step only runs during
                # onboarding, so a re-apply at most sets it back to the tier's minimum once.
                "replicas": resources.min_replicas,
                "revisionHistoryLimit": 3,
                # Tier and region may change; a selector may not.
                "selector": {"matchLabels": dict(selector)},
                # The quota fits max_replicas pods and no more: at the autoscaler's ceiling a
                # surge pod is refused, so a rollout may take one old pod down first.
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1},
                },
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "enableServiceLinks": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS,
                            "runAsGroup": RUN_AS,
                            "fsGroup": RUN_AS,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": APP,
                                "image": image,
                                "imagePullPolicy": "IfNotPresent",
                                "ports": [
                                    {"name": "http", "containerPort": APP_PORT, "protocol": "TCP"}
                                ],
                                "env": [
                                    {"name": "ISP_NAME", "value": onboarding.slug},
                                    {"name": "PLUGIN_TIER", "value": onboarding.tier},
                                    {"name": "TENANT_ID", "value": onboarding.isp_id},
                                ],
                                "resources": {
                                    "requests": {"cpu": request_cpu, "memory": request_memory},
                                    "limits": {"cpu": limit_cpu, "memory": limit_memory},
                                },
                                "readinessProbe": _health_probe(periodSeconds=5),
                                "livenessProbe": _health_probe(
                                    initialDelaySeconds=10, periodSeconds=10
                                ),
                                "securityContext": {
                                    "runAsNonRoot": True,
                                    "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]},
                                },
                                # the root filesystem is read-only; Python still wants a /tmp
                                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                            }
                        ],
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(APP),
            "spec": {
                "type": "ClusterIP",
                "selector": dict(selector),
                "ports": [
                    {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
                ],
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta(APP),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": APP},
                "minReplicas": resources.min_replicas,
                "maxReplicas": resources.max_replicas,
                "metrics": [
                    _utilisation("cpu", CPU_TARGET_PERCENT),
                    _utilisation("memory", MEMORY_TARGET_PERCENT),
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                **meta(APP),
                "annotations": {
                    "cert-manager.io/cluster-issuer": cluster_issuer,
                    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
                },
            },
            "spec": {
                "ingressClassName": ingress_class,
                "tls": [{"hosts": hosts_of(onboarding), "secretName": TLS_SECRET}],
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": APP, "port": {"name": "http"}}},
                                }
                            ]
                        },
                    }
                    for host in hosts_of(onboarding)
                ],
            },
        },
    ]


def hosts_of(onboarding: Onboarding) -> list[str]:
    """The names the ISP's instance answers at: its domain and `www.` under it."""
    domain = onboarding.domain.lower().rstrip(".")
    return [domain, f"www.{domain}"]


def _namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def _health_probe(**timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": HEALTH_PATH, "port": "http"}, **timing}


def _utilisation(resource: str, percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {
            "name": resource,
            "target": {"type": "Utilization", "averageUtilization": percent},
        },
    }


class _NoAliases(yaml.SafeDumper):
    """Writes a repeated object out again instead of as a YAML alias (`*id001`), which some
    tools reading manifests do not follow."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def manifests_yaml(manifests: list[dict[str, Any]]) -> str:
    """The manifests as one multi-document YAML stream, in order, as `kubectl apply -f -` reads
    them."""
    return yaml.dump_all(manifests, Dumper=_NoAliases, sort_keys=False)


class KubectlFailed(Exception):
    """Transient: the cluster did not answer, answered too late, or failed in a way retrying
    may cure; the step is retried."""


# Checked in this order: a quota refusal is also "Forbidden", and a connection refused while
# downloading the schema for client-side validation also says "validating".
_NEEDS_A_PERSON = (
    (("exceeded quota",), "the cluster's quota refused it; raise the quota or free capacity"),
    (
        ("(unauthorized)", "must be logged in", "x509:"),
        "the cluster did not accept the kubeconfig's credentials; renew them",
    ),
    (("(forbidden)", " forbidden"), "the kubeconfig's user lacks the rights; grant them"),
    (
        (
            " is invalid",
            "invalid value",
            "validationerror",
            "unknown field",
            "(badrequest)",
            "invalid configuration",
            "error loading config",
        ),
        "the cluster rejected the manifests as invalid",
    ),
    (
        ("exceeded its progress deadline",),
        "the pods never became ready; check the image and the pod events",
    ),
)


def kubectl_error(action: str, stderr: str) -> Exception:
    """The exception for a failed kubectl run: a ConfigurationError when a person must change
    something first, else a KubectlFailed that Temporal retries."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no error output"
    lowered = stderr.lower()
    for markers, advice in _NEEDS_A_PERSON:
        if any(marker in lowered for marker in markers):
            return ConfigurationError(f"{action} failed: {advice}: {last}")
    return KubectlFailed(f"{action} failed: {last}")


class KubernetesProvider:
    name = "kubernetes"

    def __init__(
        self,
        *,
        kubeconfig: str | Path | None,
        image: str,
        gateway_namespace: str = "dotmac-gateway",
        platform_namespace: str = "dotmac",
        ingress_namespace: str = "ingress-nginx",
        ingress_class: str = "nginx",
        cluster_issuer: str = "letsencrypt",
        kubectl: str = "kubectl",
        request_timeout: float = 10.0,
        rollout_timeout: float = 40.0,
    ) -> None:
        """The timeouts keep every kubectl run within the step's 60 s (a run longer than that
        would be abandoned by Temporal and retried while still running)."""
        self._kubeconfig = Path(kubeconfig) if kubeconfig else None
        self._image = image
        self._gateway_namespace = gateway_namespace
        self._platform_namespace = platform_namespace
        self._ingress = {
            "ingress_namespace": ingress_namespace,
            "ingress_class": ingress_class,
            "cluster_issuer": cluster_issuer,
        }
        self._kubectl = kubectl
        self._request_timeout = request_timeout
        self._rollout_timeout = rollout_timeout

    def manifests(self, onboarding: Onboarding) -> list[dict[str, Any]]:
        return render_manifests(
            onboarding,
            image=self._image,
            gateway_namespace=self._gateway_namespace,
            platform_namespace=self._platform_namespace,
            **self._ingress,
        )

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        self._require_kubeconfig()
        namespace = namespace_of(onboarding)
        applied = await self._apply(onboarding, PROVISION_KINDS)
        host = service_host(onboarding)
        return InstanceInfo(
            host=host,
            url=f"http://{host}",
            detail=f"Namespace {namespace} with its {onboarding.tier} quota and network policy: "
            f"{applied}",
        )

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_kubeconfig()
        applied = await self._apply(onboarding, DEPLOY_KINDS)
        return f"ISP framework ({self._image}) deployed in {namespace_of(onboarding)}: {applied}"

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_kubeconfig()
        applied = await self._apply(onboarding, CONFIGURE_KINDS)
        return (
            f"{' and '.join(hosts_of(onboarding))} routed to {APP} over TLS (certificate "
            f"{TLS_SECRET} from cluster issuer {self._ingress['cluster_issuer']}): {applied}"
        )

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_kubeconfig()
        namespace = namespace_of(onboarding)
        out = await self._run(
            f"waiting for the rollout of {APP} in {namespace}",
            [
                *("rollout", "status", f"deployment/{APP}", "-n", namespace),
                f"--timeout={self._rollout_timeout:g}s",
            ],
            deadline=self._rollout_timeout + self._request_timeout,
        )
        lines = out.strip().splitlines()
        return f"{APP} in {namespace}: {lines[-1] if lines else 'rolled out'}"

    async def unconfigure(self, onboarding: Onboarding) -> None:
        self._require_kubeconfig()
        namespace = namespace_of(onboarding)
        # The route first, then the certificate cert-manager stored for it.
        await self._run(
            f"deleting the ingress of {namespace}",
            ["delete", "ingress", APP, "-n", namespace, "--ignore-not-found"],
            deadline=2 * self._request_timeout,
        )
        await self._run(
            f"deleting the TLS certificate of {namespace}",
            ["delete", "secret", TLS_SECRET, "-n", namespace, "--ignore-not-found"],
            deadline=2 * self._request_timeout,
        )

    async def deprovision(self, onboarding: Onboarding) -> None:
        self._require_kubeconfig()
        namespace = namespace_of(onboarding)
        # Deleting the namespace deletes everything in it; the cluster finishes on its own.
        await self._run(
            f"deleting namespace {namespace}",
            ["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"],
            deadline=3 * self._request_timeout,
        )

    def _require_kubeconfig(self) -> Path:
        if self._kubeconfig is None:
            raise ConfigurationError(
                "the kubernetes provider has no kubeconfig: set PROVISIONING_KUBECONFIG"
            )
        return self._kubeconfig

    async def _apply(self, onboarding: Onboarding, kinds: frozenset[str]) -> str:
        objects = [m for m in self.manifests(onboarding) if m["kind"] in kinds]
        out = await self._run(
            f"applying {', '.join(m['kind'] for m in objects)} in {namespace_of(onboarding)}",
            ["apply", "-f", "-"],
            stdin=manifests_yaml(objects),
            deadline=3 * self._request_timeout,  # discovery, schema, then one call per object
        )
        return "; ".join(line.strip() for line in out.splitlines() if line.strip())

    async def _run(
        self, action: str, args: list[str], *, deadline: float, stdin: str | None = None
    ) -> str:
        kubeconfig = self._require_kubeconfig()
        if not kubeconfig.is_file():
            raise ConfigurationError(
                f"the kubernetes provider's kubeconfig {kubeconfig} does not exist: "
                "fix PROVISIONING_KUBECONFIG"
            )
        command = [
            "--kubeconfig",
            str(kubeconfig),
            f"--request-timeout={self._request_timeout:g}s",
            *args,
        ]
        try:
            process = await asyncio.create_subprocess_exec(
                self._kubectl,
                *command,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError:
            raise ConfigurationError(
                f"{self._kubectl!r} was not found: install kubectl on the provisioning worker"
            ) from None
        try:
            async with asyncio.timeout(deadline):
                out, err = await process.communicate(stdin.encode() if stdin is not None else None)
        except TimeoutError:
            raise KubectlFailed(f"{action} took longer than {deadline:g} s") from None
        finally:
            if process.returncode is None:  # timed out or cancelled: leave no kubectl behind
                process.kill()
                await process.wait()
        if process.returncode != 0:
            raise kubectl_error(action, err.decode(errors="replace"))
        return out.decode(errors="replace")
