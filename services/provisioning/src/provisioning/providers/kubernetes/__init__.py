"""The ISP gets its own namespace `isp-<isp_id>` on a Kubernetes cluster: the ISP framework as a
Deployment sized by its tier (DESIGN.md §4, `dotmac_contracts.capacity`), a Service, an
autoscaler, a quota that caps the tier, a network policy that only lets the gateway and the
cluster's ingress controller in, and an Ingress that routes the ISP's domain (and `www.`) to
it over TLS, with a certificate cert-manager issues for the Ingress (its `cluster-issuer`
annotation: cert-manager's ingress-shim makes the Certificate and renews it).

- `client`: kubectl, its runs and its errors sorted into what a person must fix and what the
  workflow retries;
- `resources`: the manifests (`render_manifests` is pure, so they are checked without a
  cluster);
- `provider`: the onboarding's steps and their compensations.
"""

from provisioning.providers.kubernetes.client import KubectlFailed, kubectl_error, manifests_yaml
from provisioning.providers.kubernetes.provider import KubernetesProvider
from provisioning.providers.kubernetes.resources import (
    hosts_of,
    namespace_of,
    render_manifests,
    service_host,
    storage_quantity,
)

__all__ = [
    "KubectlFailed",
    "KubernetesProvider",
    "hosts_of",
    "kubectl_error",
    "manifests_yaml",
    "namespace_of",
    "render_manifests",
    "service_host",
    "storage_quantity",
]
