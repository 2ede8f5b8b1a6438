"""The offboarding's rules: which ISP can be offboarded, what its owner is told of the export,
and what each milestone announces and does to the deployment's state."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    DataExported,
    OffboardingCompleted,
    OffboardingStarted,
    OffboardingStopped,
)
from dotmac_contracts.registry import IspEvent
from dotmac_contracts.vocabulary import DeploymentState
from provisioning.deployments import repository as deployments
from provisioning.errors import ConfigurationError
from provisioning.models import Deployment
from provisioning.offboarding.messages import Exported, Milestone
from provisioning.onboarding.messages import Onboarding
from servicekit.mail import Mailer
from servicekit.outbox import Outbox


@dataclass(frozen=True)
class Onboarded:
    """An ISP's deployment, and the URL of its instance ("" if none is left)."""

    deployment: Deployment
    url: str


async def onboarded(session: AsyncSession, isp_id: UUID) -> Onboarded:
    """What the onboarding made for the ISP. Raises ConfigurationError if it never onboarded
    here: then there is nothing to offboard."""
    deployment = await deployments.deployment_of_isp(session, isp_id)
    url = await deployments.instance_url_of_isp(session, isp_id)
    if deployment is None:
        raise ConfigurationError(f"ISP {isp_id} was never onboarded here: nothing to offboard")
    return Onboarded(deployment, url or "")


def as_onboarding(deployment: Deployment) -> Onboarding:
    """The onboarding the deployment was made from, for its provider's compensations."""
    return Onboarding(
        isp_id=str(deployment.isp_id),
        deployment_id=str(deployment.id),
        slug=deployment.slug,
        company_name=deployment.company_name,
        tier=deployment.tier,
        region=deployment.region,
        provider=deployment.provider,
        domain=deployment.domain,
        contact_email=deployment.contact_email,
    )


async def tell_owner_of_export(
    session: AsyncSession, mailer: Mailer, deployment: Deployment, exported: Exported
) -> None:
    """Email the owner where to download the ISP's data, once the caller's transaction commits."""
    await mailer.queue(
        session,
        to=deployment.contact_email,
        subject=f"Your {deployment.company_name} data, before your DotMac service ends",
        body=(
            f"Your cancellation of {deployment.company_name}'s DotMac service has been "
            "received.\n\nAll your data (customers, plans, subscriptions, tickets, "
            "devices) is in one archive; sign in as the owner and download it from:\n\n"
            f"    {exported.download_url}\n\n"
            f"SHA-256: {exported.sha256}\n\n"
            "Your service keeps running until the end of the grace period; you can "
            "retract the cancellation until then from your admin.\n"
        ),
    )


def what_was_destroyed(deployment: Deployment) -> list[str]:
    """What the offboarding destroyed, in the order it did, for the owner and the operator."""
    return [
        f"{deployment.provider} DNS and routing of {deployment.slug}",
        "the tenant and all its data",
        f"the {deployment.provider} instance and its storage",
    ]


async def announce(session: AsyncSession, outbox: Outbox, milestone: Milestone) -> None:
    """Announce the milestone, and put the deployment in the state it leads to: offboarding
    once started, active again once stopped, deleted once completed."""
    isp_id, at = UUID(milestone.isp_id), datetime.fromisoformat(milestone.at)
    event: IspEvent
    state: DeploymentState | None = None
    match milestone.kind:
        case "started":
            event = OffboardingStarted(
                isp_id=isp_id, delete_at=datetime.fromisoformat(milestone.until), started_at=at
            )
            state = DeploymentState.OFFBOARDING
        case "exported":
            assert milestone.export is not None
            event = DataExported(
                isp_id=isp_id,
                export_id=UUID(milestone.export.export_id),
                size_bytes=milestone.export.size_bytes,
                sha256=milestone.export.sha256,
                exported_at=at,
            )
        case "stopped":
            event = OffboardingStopped(isp_id=isp_id, stopped_at=at)
            state = DeploymentState.ACTIVE
        case "completed":
            event = OffboardingCompleted(
                isp_id=isp_id, destroyed=list(milestone.destroyed), completed_at=at
            )
            state = DeploymentState.DELETED
        case _:
            raise ValueError(f"no offboarding event {milestone.kind!r}")
    if state is not None:
        await deployments.set_state_of_isp(session, isp_id, state.value, at)
    await outbox.add(session, event)
