from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROVISIONING_", extra="ignore")

    port: int = 8103
    task_queue: str = Field(default="provisioning-onboarding", description="Temporal task queue")
    workflow_task_pollers: int = Field(
        default=10,
        ge=2,
        description="Workflow task polls this worker keeps open, half for new workflows and "
        "half for the ones it holds (the SDK's default keeps one for new ones, and a burst of "
        "onboardings queued for it)",
    )
    offboarding_grace_s: float = Field(
        default=30 * 24 * 3600,
        description="How long after a cancellation the ISP is destroyed (it may be retracted "
        "until then)",
    )
    aws_image_id: str = Field(
        default="",
        description="AMI the aws provider starts ISP instances from (the ISP framework image); "
        "AWS credentials and AWS_ENDPOINT_URL come from the usual AWS environment",
    )
    aws_boot_wait_s: float = Field(
        default=45.0, description="How long one attempt waits for an instance to run"
    )
    digitalocean_token: SecretStr = Field(
        default=SecretStr(""),
        description="API token the digitalocean provider acts with (read and write); "
        "DIGITALOCEAN_END_POINT, read by python-digitalocean itself, points it elsewhere than "
        "DigitalOcean's API",
    )
    digitalocean_image: str = Field(
        default="ubuntu-24-04-x64", description="Droplet image slug for ISP instances"
    )
    digitalocean_boot_wait_s: float = Field(
        default=45.0, description="How long one attempt waits for a droplet to be active"
    )
    kubeconfig: str = Field(
        default="", description="kubeconfig of the cluster the kubernetes provider applies to"
    )
    kubernetes_ingress_class: str = Field(
        default="nginx", description="Ingress class that routes ISPs' domains on Kubernetes"
    )
    kubernetes_ingress_namespace: str = Field(
        default="ingress-nginx",
        description="Namespace of the cluster's ingress controller (let into ISPs' namespaces)",
    )
    kubernetes_cluster_issuer: str = Field(
        default="letsencrypt",
        description="cert-manager ClusterIssuer that issues ISPs' TLS certificates",
    )
    kubernetes_image: str = Field(
        default="dotmac/isp-framework:latest",
        description="Image of the ISP framework on Kubernetes",
    )
