"""What an ISP's instance is on Kubernetes, as manifests: `render_manifests` is pure, so they
can be checked without a cluster, and applying the same ones again changes nothing (kubectl
apply is find-or-create by kind and name)."""

import re
from decimal import Decimal
from typing import Any

from dotmac_contracts.capacity import TIER_RESOURCES, Resources
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding

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
