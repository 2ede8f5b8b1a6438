"""Endpoints, the delivery log, replays and test events: the same routes for an ISP (its own
events, under /api/v1/webhooks/isp/{isp_id}) and for the operator (the platform's events,
under /api/v1/webhooks/operator)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from dotmac_contracts.public import Audience, public_types
from servicekit.http import SessionDep
from webhooks.deps import WebhooksDep
from webhooks.owners import Owner
from webhooks.subscriptions import service
from webhooks.subscriptions.schemas import (
    AttemptPage,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    EventTypeRead,
    MessagePage,
    Queued,
    ReplaySince,
    SecretRotated,
    TestSent,
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Repeat a create with the same key and get the same endpoint (and secret)",
    ),
]
MessageId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$", description="The webhook-id")]

catalogue = APIRouter(prefix="/api/v1/webhooks", tags=["event types"])


@catalogue.get("/event-types")
async def event_types(audience: Audience | None = None) -> list[EventTypeRead]:
    """The public event types with the JSON schema of their `data`: `isp` types are an ISP's
    own events, `platform` types the operator's. Every delivery's body is
    `{"type": ..., "timestamp": ..., "data": {...}}`, signed as Standard Webhooks says."""
    return [
        EventTypeRead(
            type=t.name, audience=t.audience.value, description=t.description, schema_=t.schema()
        )
        for a in Audience
        if audience in (None, a)
        for t in public_types(a)
    ]


def endpoint_routes(prefix: str, owner: Any, *, tag: str) -> APIRouter:
    """The routes of one kind of owner (`owner` is the dependency that says who it is)."""
    router = APIRouter(prefix=prefix, tags=[tag])
    OwnerDep = Annotated[Owner, Depends(owner)]

    @router.post("/endpoints", status_code=status.HTTP_201_CREATED)
    async def subscribe(
        spec: EndpointCreate,
        who: OwnerDep,
        webhooks: WebhooksDep,
        session: SessionDep,
        idempotency_key: IdempotencyKey = None,
    ) -> EndpointCreated:
        """Subscribe a URL to events. The answer holds the signing secret, shown this once."""
        return await service.subscribe(
            session, webhooks.sealer, webhooks.settings, who, spec, idempotency_key
        )

    @router.get("/endpoints")
    async def listed(who: OwnerDep, webhooks: WebhooksDep) -> list[EndpointRead]:
        """Every endpoint, oldest first, with whether it is enabled and failing."""
        async with webhooks.runtime.db.reading() as connection:
            return await service.listed(connection, who)

    @router.get("/endpoints/{endpoint_id}")
    async def one(endpoint_id: UUID, who: OwnerDep, session: SessionDep) -> EndpointRead:
        return service.read(await service.found(session, who, endpoint_id))

    @router.patch("/endpoints/{endpoint_id}")
    async def change(
        endpoint_id: UUID,
        spec: EndpointUpdate,
        who: OwnerDep,
        webhooks: WebhooksDep,
        session: SessionDep,
    ) -> EndpointRead:
        """Change the URL, description, event types or rate limit; disable or enable it."""
        return await service.change(session, webhooks.settings, who, endpoint_id, spec)

    @router.delete("/endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def remove(endpoint_id: UUID, who: OwnerDep, session: SessionDep) -> Response:
        """Unsubscribe: nothing more is sent, and the endpoint's log goes with it."""
        await service.remove(session, who, endpoint_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post("/endpoints/{endpoint_id}/secret/rotate")
    async def rotate(
        endpoint_id: UUID, who: OwnerDep, webhooks: WebhooksDep, session: SessionDep
    ) -> SecretRotated:
        """A new signing secret. Deliveries carry both signatures, the old secret's and the
        new, for a day, so the receiver can switch without missing one."""
        return await service.rotate_secret(
            session, webhooks.sealer, webhooks.settings, who, endpoint_id
        )

    @router.get("/endpoints/{endpoint_id}/attempts")
    async def attempts(
        endpoint_id: UUID,
        who: OwnerDep,
        webhooks: WebhooksDep,
        before: Annotated[int | None, Query(ge=1)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> AttemptPage:
        """The delivery log, newest first: each attempt's outcome, status, latency and the
        first kilobyte of the answer."""
        async with webhooks.runtime.db.reading() as connection:
            return await service.attempts(connection, who, endpoint_id, before, limit)

    @router.post("/endpoints/{endpoint_id}/replay", status_code=status.HTTP_202_ACCEPTED)
    async def replay_since(
        endpoint_id: UUID,
        spec: ReplaySince,
        who: OwnerDep,
        webhooks: WebhooksDep,
        session: SessionDep,
    ) -> Queued:
        """Send again every message (of the types it takes) from `since` on, with the ids
        they had: a receiver that kept them drops the repeats."""
        queued = await service.replay_since(
            session, webhooks.settings, who, endpoint_id, spec.since
        )
        return Queued(queued=queued)

    @router.post(
        "/endpoints/{endpoint_id}/messages/{message_id}/replay",
        status_code=status.HTTP_202_ACCEPTED,
    )
    async def replay_one(
        endpoint_id: UUID,
        message_id: MessageId,
        who: OwnerDep,
        session: SessionDep,
    ) -> Queued:
        """Send one message again, under its own id."""
        return Queued(queued=await service.replay_message(session, who, endpoint_id, message_id))

    @router.post("/endpoints/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED)
    async def test(endpoint_id: UUID, who: OwnerDep, session: SessionDep) -> TestSent:
        """Send a `webhook.test` event to this endpoint alone."""
        return TestSent(message_id=await service.send_test(session, who, endpoint_id))

    @router.get("/messages")
    async def messages(
        who: OwnerDep,
        webhooks: WebhooksDep,
        before: Annotated[int | None, Query(ge=1)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> MessagePage:
        """The events sent, newest first (kept 30 days), as their endpoints got them."""
        async with webhooks.runtime.db.reading() as connection:
            return await service.messages(connection, who, before, limit)

    return router
