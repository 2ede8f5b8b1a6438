"""Registering an ISP: validate uniqueness, store it, and announce it — in one transaction."""

import hashlib
import json
import re
import unicodedata
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import IspRegistered
from dotmac_contracts.vocabulary import DeploymentState, Provider
from registration.isps import repository
from registration.isps.schemas import IspRegistration, RegistrationAccepted
from registration.models import Deployment, IdempotentResponse, Isp
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, UnprocessableContent


class AlreadyRegistered(Conflict):
    slug = "already-registered"


class IdempotencyKeyReused(UnprocessableContent):
    title = "Idempotency-Key reused"
    slug = "idempotency-key-reused"


def company_key(name: str) -> str:
    """Names that differ only in case, accents or spacing are the same company."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def slugify(name: str, max_length: int = 40) -> str:
    slug = company_key(name).replace(" ", "-")[:max_length].strip("-")
    return slug or "isp"


def request_fingerprint(request: IspRegistration) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def status_url(isp_id: uuid.UUID) -> str:
    return f"/api/v1/isp/{isp_id}/deployment"


async def replay(
    session: AsyncSession, key: str, request: IspRegistration
) -> RegistrationAccepted | None:
    """The first answer to `key`, if there was one for this same request."""
    stored = await repository.idempotent_response(session, key)
    if stored is None:
        return None
    if stored.request_hash != request_fingerprint(request):
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body. "
            "Use a new key for a new registration."
        )
    return RegistrationAccepted.model_validate(stored.body)


async def register_isp(
    session: AsyncSession,
    outbox: Outbox,
    request: IspRegistration,
    *,
    provider: Provider = Provider.LOCAL,
    idempotency_key: str | None = None,
    isp_id: uuid.UUID | None = None,
) -> RegistrationAccepted:
    """Register an ISP. With `isp_id` (a demo's id), the ISP takes over that demo's tenant."""
    if idempotency_key and (previous := await replay(session, idempotency_key, request)):
        return previous

    key = company_key(request.company.name)
    clash = await repository.find_clash(
        session,
        domain=request.domain,
        company_key=key,
        country=request.company.country,
        registration_number=request.company.registration_number,
    )
    if clash is not None:
        # A concurrent request with our key may have committed between the replay check and
        # this one (each statement sees the latest commits): then we are its repeat.
        if idempotency_key and (previous := await replay(session, idempotency_key, request)):
            return previous
        if clash.domain == request.domain:
            raise AlreadyRegistered(
                f"The domain {request.domain} is already registered.", field="domain"
            )
        raise AlreadyRegistered(
            f"The company {request.company.name!r} ({request.company.country}, registration "
            f"{request.company.registration_number}) is already registered.",
            field="company",
        )

    from_demo = isp_id is not None
    isp_id, deployment_id = isp_id or uuid.uuid4(), uuid.uuid4()
    slug = slugify(request.company.name)
    if await repository.slug_taken(session, slug):
        slug = f"{slug[:35]}-{isp_id.hex[:4]}"
    now = datetime.now(UTC)
    session.add(
        Isp(
            id=isp_id,
            slug=slug,
            company_name=request.company.name,
            company_key=key,
            registration_number=request.company.registration_number,
            tax_id=request.company.tax_id,
            country=request.company.country,
            contacts=request.contacts.model_dump(mode="json", exclude_none=True),
            service_area=request.service_area,
            expected_customers=request.expected_customers,
            region=request.region.value,
            tier=request.tier.value,
            billing_period=request.billing_period.value,
            domain=request.domain,
            registered_at=now,
        )
    )
    # The read model exists from the start, so the status URL answers as soon as we reply.
    await session.flush()
    session.add(
        Deployment(
            id=deployment_id,
            isp_id=isp_id,
            state=DeploymentState.REGISTERED.value,
            created_at=now,
            updated_at=now,
        )
    )
    accepted = RegistrationAccepted(
        isp_id=isp_id,
        deployment_id=deployment_id,
        slug=slug,
        state=DeploymentState.REGISTERED,
        status_url=status_url(isp_id),
    )
    if idempotency_key:
        session.add(
            IdempotentResponse(
                key=idempotency_key,
                request_hash=request_fingerprint(request),
                status_code=202,
                body=accepted.model_dump(mode="json"),
            )
        )
    await outbox.add(
        session,
        IspRegistered(
            isp_id=isp_id,
            deployment_id=deployment_id,
            slug=slug,
            company_name=request.company.name,
            country=request.company.country,
            region=request.region,
            tier=request.tier,
            billing_period=request.billing_period,
            domain=request.domain,
            primary_contact_name=request.contacts.primary.name,
            primary_contact_email=request.contacts.primary.email,
            expected_customers=request.expected_customers,
            payment_method=request.payment_method,
            provider=provider,
            from_demo=from_demo,
            registered_at=now,
        ),
    )
    # Surface unique-constraint races here, inside the request, not at commit.
    await session.flush()
    return accepted


async def release_names(session: AsyncSession, isp_id: uuid.UUID, at: datetime) -> None:
    """The ISP is offboarded: its names (slug, company, registration, domain) are free for
    whoever comes next. Releasing them again changes nothing."""
    isp = await repository.get(session, isp_id)
    if isp is not None and isp.deleted_at is None:
        isp.deleted_at = at
