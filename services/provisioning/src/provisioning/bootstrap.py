"""The composition root: runtime, Temporal client, HTTP clients, providers — everything
provisioning's entry points and tests use, built from its settings."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from dotmac_contracts.events import (
    DataExported,
    DemoConverted,
    DemoExtended,
    DemoOpened,
    DemoReminded,
    DemoRemoved,
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
    OffboardingCompleted,
    OffboardingStarted,
    OffboardingStopped,
)
from provisioning.clients.tenant_api import TenantApi
from provisioning.config import Settings
from provisioning.demos.subscribers import SUBSCRIBERS as DEMO_SUBSCRIBERS
from provisioning.models import messaging
from provisioning.offboarding.subscribers import SUBSCRIBERS as OFFBOARDING_SUBSCRIBERS
from provisioning.onboarding.subscribers import SUBSCRIBERS as ONBOARDING_SUBSCRIBERS
from provisioning.providers import Provider
from provisioning.providers.aws import AwsProvider
from provisioning.providers.digitalocean import DigitalOceanProvider
from provisioning.providers.kubernetes import KubernetesProvider
from provisioning.providers.local import LocalProvider
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing, tracing_enabled
from servicekit.temporal_metrics import connect_temporal

PUBLISHES = (
    DeploymentStarted,
    DeploymentStepCompleted,
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DemoOpened,
    DemoExtended,
    DemoReminded,
    DemoRemoved,
    DemoConverted,
    OffboardingStarted,
    OffboardingStopped,
    OffboardingCompleted,
    DataExported,
)


class Provisioning:
    """What provisioning's entry points share. The Temporal client is connected once, by the
    first role that needs it (`temporal()`): the subscribers that start workflows and the
    worker that runs them use the same client, so that Temporal hands a workflow's first task
    straight back to the worker that started it (eager start)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        configure_tracing("provisioning", settings.platform)
        self.runtime = Runtime(
            name="provisioning",
            settings=settings.platform,
            tables=messaging,
            publishes=PUBLISHES,
            subscribers=[
                *ONBOARDING_SUBSCRIBERS,
                *DEMO_SUBSCRIBERS,
                *OFFBOARDING_SUBSCRIBERS,
            ],
        )
        context = self.runtime.broker.context
        context.set_global("task_queue", settings.task_queue)
        context.set_global("offboarding_grace_s", settings.offboarding_grace_s)
        self._temporal: Client | None = None
        self._connecting = asyncio.Lock()

    async def temporal(self) -> Client:
        async with self._connecting:
            if self._temporal is None:
                platform = self.settings.platform
                self._temporal = await connect_temporal(
                    platform.temporal_address,
                    namespace=platform.temporal_namespace,
                    interceptors=[TracingInterceptor()] if tracing_enabled() else [],
                )
                self.runtime.broker.context.set_global("temporal", self._temporal)
            return self._temporal

    @asynccontextmanager
    async def http(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=10.0) as http:
            if tracing_enabled():
                HTTPXClientInstrumentor.instrument_client(http)
            yield http

    def tenant_api(self, http: httpx.AsyncClient) -> TenantApi:
        platform = self.settings.platform
        return TenantApi(platform.tenant_api_url, platform.internal_token.get_secret_value(), http)

    def providers(self, http: httpx.AsyncClient, tenants: TenantApi) -> dict[str, Provider]:
        platform = self.settings.platform
        local = LocalProvider(
            tenants=tenants,
            http=http,
            gateway_url=platform.gateway_url,
            tenant_api_url=platform.tenant_api_url,
            base_domain=platform.tenant_base_domain,
        )
        aws = AwsProvider(
            serving=local,
            image_id=self.settings.aws_image_id,
            boot_wait_s=self.settings.aws_boot_wait_s,
        )
        digitalocean = DigitalOceanProvider(
            serving=local,
            token=self.settings.digitalocean_token.get_secret_value(),
            image=self.settings.digitalocean_image,
            boot_wait_s=self.settings.digitalocean_boot_wait_s,
        )
        kubernetes = KubernetesProvider(
            kubeconfig=self.settings.kubeconfig or None,
            image=self.settings.kubernetes_image,
            ingress_namespace=self.settings.kubernetes_ingress_namespace,
            ingress_class=self.settings.kubernetes_ingress_class,
            cluster_issuer=self.settings.kubernetes_cluster_issuer,
        )
        return {p.name: p for p in (local, aws, digitalocean, kubernetes)}


def bootstrap(settings: Settings | None = None) -> Provisioning:
    return Provisioning(settings or Settings())
