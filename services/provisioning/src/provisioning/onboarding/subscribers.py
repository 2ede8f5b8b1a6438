"""IspRegistered starts the ISP's onboarding workflow. A redelivered event, or a second
registration event for the same ISP, attaches to the workflow already running."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import DeploymentStarted, IspRegistered
from dotmac_contracts.vocabulary import DeploymentState
from provisioning.models import Deployment
from provisioning.onboarding.messages import Onboarding
from provisioning.onboarding.workflows import OnboardIspWorkflow, workflow_id
from servicekit.consumer import Subscription
from servicekit.outbox import Outbox

ISP_ID = SearchAttributeKey.for_keyword("IspId")
TIER = SearchAttributeKey.for_keyword("Tier")
REGION = SearchAttributeKey.for_keyword("Region")
PROVIDER = SearchAttributeKey.for_keyword("Provider")
SEARCH_ATTRIBUTES = {
    "IspId": "Keyword",
    "Tier": "Keyword",
    "Region": "Keyword",
    "Provider": "Keyword",
}


def onboarding_subscriptions(
    *, temporal: Callable[[], Client], outbox: Outbox, task_queue: str
) -> list[Subscription]:
    async def on_isp_registered(session: AsyncSession, event: IspRegistered, _: CloudEvent) -> None:
        now = datetime.now(UTC)
        wf_id = workflow_id(str(event.isp_id))
        created = (
            await session.execute(
                insert(Deployment)
                .values(
                    id=event.deployment_id,
                    isp_id=event.isp_id,
                    slug=event.slug,
                    company_name=event.company_name,
                    tier=event.tier.value,
                    region=event.region.value,
                    provider=event.provider.value,
                    domain=event.domain,
                    contact_email=str(event.primary_contact_email),
                    workflow_id=wf_id,
                    state=DeploymentState.REGISTERED.value,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
                .returning(Deployment.id)
            )
        ).first()
        if created is not None:
            await outbox.add(
                session,
                DeploymentStarted(
                    deployment_id=event.deployment_id,
                    isp_id=event.isp_id,
                    provider=event.provider,
                    region=event.region,
                    tier=event.tier,
                    workflow_id=wf_id,
                    started_at=now,
                ),
            )
        onboarding = Onboarding(
            isp_id=str(event.isp_id),
            deployment_id=str(event.deployment_id),
            slug=event.slug,
            company_name=event.company_name,
            tier=event.tier.value,
            region=event.region.value,
            provider=event.provider.value,
            domain=event.domain,
            contact_email=str(event.primary_contact_email),
        )
        # Started before our transaction commits: if the commit fails, the redelivery attaches.
        try:
            await temporal().start_workflow(
                OnboardIspWorkflow.run,
                onboarding,
                id=wf_id,
                task_queue=task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(ISP_ID, onboarding.isp_id),
                        SearchAttributePair(TIER, onboarding.tier),
                        SearchAttributePair(REGION, onboarding.region),
                        SearchAttributePair(PROVIDER, onboarding.provider),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            pass  # it ran to its end already: this is a late duplicate

    return [Subscription(IspRegistered, on_isp_registered)]
