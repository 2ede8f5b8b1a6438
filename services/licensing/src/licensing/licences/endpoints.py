from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends

from licensing.deps import LicensingDep
from licensing.licences.schemas import LicenceRead, StatusChange, TierChange
from licensing.licences.service import (
    change_tier,
    licence_of,
    reinstate_licence,
    revoke_licence,
    suspend_licence,
)
from servicekit.http import OutboxDep, SessionDep

router = APIRouter(tags=["licences"])


@router.get(
    "/api/v1/licensing/isps/{isp_id}/licence",
    responses={404: {"description": "The ISP holds no licence"}},
)
async def get_licence(isp_id: UUID, session: SessionDep) -> LicenceRead:
    """The licence an ISP holds: tier, plugins, customer cap, validity and the signed token."""
    return LicenceRead.model_validate(await licence_of(session, isp_id), from_attributes=True)


@router.get("/.well-known/dotmac-licence-keys")
async def licence_keys(licensing: LicensingDep) -> dict[str, Any]:
    """The platform's public keys (a JWK set): ISP instances verify licence tokens with them,
    offline."""
    key_set: dict[str, Any] = licensing.signer.key_set()
    return key_set


def internal_router(caller: Callable[..., None]) -> APIRouter:
    """Operator routes (billing will call them): service-to-service, the gateway does not
    expose them."""
    router = APIRouter(
        prefix="/internal/v1/licences",
        tags=["internal"],
        dependencies=[Depends(caller)],
        responses={
            401: {"description": "Without the internal token"},
            404: {"description": "The ISP holds no licence"},
        },
    )

    @router.post(
        "/{isp_id}/tier",
        responses={
            409: {"description": "A downgrade below the ISP's customer count, or a revoked licence"}
        },
    )
    async def change_isp_tier(
        isp_id: UUID,
        change: TierChange,
        session: SessionDep,
        outbox: OutboxDep,
        licensing: LicensingDep,
    ) -> LicenceRead:
        """Move an ISP to another tier (billing calls this once the ISP has paid for it, or
        an operator): it gets a new licence (and token) for it at once. A downgrade that the
        ISP's customers would not fit in is refused, saying by how many.

        A revoked licence cannot change tier (409: a new licence is needed). A suspended one
        can: the new licence stays suspended, with the same reason, until it is reinstated."""
        licence = await change_tier(
            session,
            outbox,
            licensing.signer,
            isp_id=isp_id,
            tier=change.tier,
            now=datetime.now(UTC),
            validity=licensing.validity,
        )
        return LicenceRead.model_validate(licence, from_attributes=True)

    @router.post("/{isp_id}/suspend", responses={409: {"description": "The licence is revoked"}})
    async def suspend(
        isp_id: UUID, change: StatusChange, session: SessionDep, outbox: OutboxDep
    ) -> LicenceRead:
        """Suspend the ISP's licence until it is reinstated; LicenceSuspended is published. Its
        instance stays readable but refuses changes. Suspending a suspended licence changes
        nothing (the first reason stays)."""
        licence = await suspend_licence(
            session, outbox, isp_id=isp_id, reason=change.reason, now=datetime.now(UTC)
        )
        return LicenceRead.model_validate(licence, from_attributes=True)

    @router.post(
        "/{isp_id}/reinstate",
        responses={409: {"description": "The licence is revoked: a new licence is needed"}},
    )
    async def reinstate(isp_id: UUID, session: SessionDep, outbox: OutboxDep) -> LicenceRead:
        """Put a suspended licence back in force; LicenceReinstated is published. Reinstating an
        active licence changes nothing."""
        licence = await reinstate_licence(session, outbox, isp_id=isp_id, now=datetime.now(UTC))
        return LicenceRead.model_validate(licence, from_attributes=True)

    @router.post("/{isp_id}/revoke")
    async def revoke(
        isp_id: UUID, change: StatusChange, session: SessionDep, outbox: OutboxDep
    ) -> LicenceRead:
        """Withdraw the ISP's licence for good, active or suspended; LicenceRevoked is published.
        It cannot be reinstated or change tier: the ISP needs a new licence. Revoking a revoked
        licence changes nothing (the first reason stays)."""
        licence = await revoke_licence(
            session, outbox, isp_id=isp_id, reason=change.reason, now=datetime.now(UTC)
        )
        return LicenceRead.model_validate(licence, from_attributes=True)

    return router
