"""The composition root: runtime, Temporal client and worker, HTTP clients, providers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from provisioning.clients.tenant_api import TenantApi
from provisioning.config import Settings
from provisioning.demos.activities import DemoActivities
from provisioning.demos.subscribers import demo_subscriptions
from provisioning.demos.workflows import DemoLifecycleWorkflow
from provisioning.models import mail_outbox, messaging
from provisioning.offboarding.activities import OffboardingActivities
from provisioning.offboarding.subscribers import offboarding_subscriptions
from provisioning.offboarding.workflows import OffboardIspWorkflow
from provisioning.onboarding.activities import OnboardingActivities
from provisioning.onboarding.subscribers import onboarding_subscriptions
from provisioning.onboarding.workflows import OnboardIspWorkflow
from provisioning.providers import Provider
from provisioning.providers.aws import AwsProvider
from provisioning.providers.digitalocean import DigitalOceanProvider
from provisioning.providers.kubernetes import KubernetesProvider
from provisioning.providers.local import LocalProvider
from servicekit.consumer import Subscription
from servicekit.mail import Mailer, MailSender
from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait
from servicekit.telemetry import configure_tracing, tracing_enabled


class Provisioning:
    """Holds what the entrypoints share; `connected()` opens and closes the network clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        configure_tracing("provisioning", settings.platform)
        self.runtime = Runtime(name="provisioning", settings=settings.platform, tables=messaging)
        self._temporal: Client | None = None

    @property
    def temporal(self) -> Client:
        if self._temporal is None:
            raise RuntimeError("provisioning is not connected to Temporal yet")
        return self._temporal

    def subscriptions(self) -> list[Subscription]:
        return [
            *onboarding_subscriptions(
                temporal=lambda: self.temporal, task_queue=self.settings.task_queue
            ),
            *demo_subscriptions(
                temporal=lambda: self.temporal, task_queue=self.settings.task_queue
            ),
            *offboarding_subscriptions(
                temporal=lambda: self.temporal,
                task_queue=self.settings.task_queue,
                grace_s=self.settings.offboarding_grace_s,
            ),
        ]

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
            kubeconfig=self.settings.kubeconfig or None, image=self.settings.kubernetes_image
        )
        return {p.name: p for p in (local, aws, digitalocean, kubernetes)}

    @asynccontextmanager
    async def connected(self, runtime: Runtime) -> AsyncIterator[None]:
        platform = self.settings.platform
        self._temporal = await Client.connect(
            platform.temporal_address,
            namespace=platform.temporal_namespace,
            interceptors=[TracingInterceptor()] if tracing_enabled() else [],
        )
        async with httpx.AsyncClient(timeout=10.0) as http:
            if tracing_enabled():
                HTTPXClientInstrumentor.instrument_client(http)
            if not self.settings.run_worker:
                yield
                return
            tenants = TenantApi(
                platform.tenant_api_url, platform.internal_token.get_secret_value(), http
            )
            providers = self.providers(http, tenants)
            activities = OnboardingActivities(
                db=runtime.db, outbox=runtime.outbox, providers=providers, tenants=tenants
            )
            local = providers["local"]
            assert isinstance(local, LocalProvider)
            mailer = Mailer(mail_outbox)
            sending = runtime.spawn(MailSender(runtime.db, mailer, platform).run(), "mail-sender")
            demos = DemoActivities(
                db=runtime.db, outbox=runtime.outbox, mailer=mailer, tenants=tenants, serving=local
            )
            offboarding = OffboardingActivities(
                db=runtime.db,
                outbox=runtime.outbox,
                mailer=mailer,
                providers=providers,
                tenants=tenants,
            )
            worker = Worker(
                self._temporal,
                task_queue=self.settings.task_queue,
                workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(
                    self.settings.workflow_task_pollers
                ),
                nonsticky_to_sticky_poll_ratio=0.5,
                workflows=[OnboardIspWorkflow, DemoLifecycleWorkflow, OffboardIspWorkflow],
                activities=[
                    *activities.handlers(),
                    *demos.handlers(),
                    *offboarding.handlers(),
                ],
            )
            async with worker:
                yield
            await cancel_and_wait(sending)
