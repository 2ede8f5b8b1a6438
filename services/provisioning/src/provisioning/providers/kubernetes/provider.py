"""The onboarding's steps on Kubernetes, and their compensations: each applies its part of the
ISP's manifests (`resources`) with kubectl (`client`), or deletes what its step made."""

from pathlib import Path
from typing import Any

from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo
from provisioning.providers.kubernetes.client import Kubectl, manifests_yaml
from provisioning.providers.kubernetes.resources import (
    APP,
    CONFIGURE_KINDS,
    DEPLOY_KINDS,
    PROVISION_KINDS,
    TLS_SECRET,
    hosts_of,
    namespace_of,
    render_manifests,
    service_host,
)


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
        self._kubectl = Kubectl(
            kubeconfig=kubeconfig, kubectl=kubectl, request_timeout=request_timeout
        )
        self._image = image
        self._gateway_namespace = gateway_namespace
        self._platform_namespace = platform_namespace
        self._ingress = {
            "ingress_namespace": ingress_namespace,
            "ingress_class": ingress_class,
            "cluster_issuer": cluster_issuer,
        }
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
        self._kubectl.require_kubeconfig()
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
        self._kubectl.require_kubeconfig()
        applied = await self._apply(onboarding, DEPLOY_KINDS)
        return f"ISP framework ({self._image}) deployed in {namespace_of(onboarding)}: {applied}"

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._kubectl.require_kubeconfig()
        applied = await self._apply(onboarding, CONFIGURE_KINDS)
        return (
            f"{' and '.join(hosts_of(onboarding))} routed to {APP} over TLS (certificate "
            f"{TLS_SECRET} from cluster issuer {self._ingress['cluster_issuer']}): {applied}"
        )

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._kubectl.require_kubeconfig()
        namespace = namespace_of(onboarding)
        out = await self._kubectl.run(
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
        self._kubectl.require_kubeconfig()
        namespace = namespace_of(onboarding)
        # The route first, then the certificate cert-manager stored for it.
        await self._kubectl.run(
            f"deleting the ingress of {namespace}",
            ["delete", "ingress", APP, "-n", namespace, "--ignore-not-found"],
            deadline=2 * self._request_timeout,
        )
        await self._kubectl.run(
            f"deleting the TLS certificate of {namespace}",
            ["delete", "secret", TLS_SECRET, "-n", namespace, "--ignore-not-found"],
            deadline=2 * self._request_timeout,
        )

    async def deprovision(self, onboarding: Onboarding) -> None:
        self._kubectl.require_kubeconfig()
        namespace = namespace_of(onboarding)
        # Deleting the namespace deletes everything in it; the cluster finishes on its own.
        await self._kubectl.run(
            f"deleting namespace {namespace}",
            ["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"],
            deadline=3 * self._request_timeout,
        )

    async def _apply(self, onboarding: Onboarding, kinds: frozenset[str]) -> str:
        objects = [m for m in self.manifests(onboarding) if m["kind"] in kinds]
        out = await self._kubectl.run(
            f"applying {', '.join(m['kind'] for m in objects)} in {namespace_of(onboarding)}",
            ["apply", "-f", "-"],
            stdin=manifests_yaml(objects),
            deadline=3 * self._request_timeout,  # discovery, schema, then one call per object
        )
        return "; ".join(line.strip() for line in out.splitlines() if line.strip())
