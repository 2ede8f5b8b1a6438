"""Event streams: the same public events as the webhooks, as server-sent events, for a
receiver without a public URL. Each event's SSE id is its sequence number: reconnect with
`Last-Event-ID` and the stream goes on from there (within the 30 days messages are kept)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from servicekit.db import Database
from servicekit.problems import UnprocessableContent
from webhooks.deps import WebhooksDep
from webhooks.owners import Owner
from webhooks.streaming.listeners import Listeners
from webhooks.subscriptions import repository

KEEPALIVE_S = 15.0
BATCH = 200


def _last_event_id(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise UnprocessableContent(
            "Last-Event-ID must be the id of an event this stream sent (a number)."
        )
    return int(raw)


async def _events(
    request: Request, db: Database, listeners: Listeners, owner: Owner, after: int | None
) -> AsyncIterator[bytes]:
    key, woken = listeners.follow(owner.tenant_id)
    try:
        if after is None:  # a new stream starts with what happens from now on
            async with db.reading() as connection:
                after = await repository.last_seq(connection, owner.tenant_id)
        yield b": connected\nretry: 2000\n\n"
        while not await request.is_disconnected():
            woken.clear()
            async with db.reading() as connection:
                rows = await repository.messages(
                    connection, owner.tenant_id, after=after, limit=BATCH
                )
            for row in rows:
                after = row.seq
                yield b"id: %d\nevent: %s\ndata: %s\n\n" % (row.seq, row.type.encode(), row.body)
            if len(rows) == BATCH:
                continue
            try:
                async with asyncio.timeout(KEEPALIVE_S):
                    await woken.wait()
            except TimeoutError:
                yield b": keep-alive\n\n"
    finally:
        listeners.leave(key, woken)


def stream_routes(prefix: str, owner: Any, *, tag: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[tag])
    OwnerDep = Annotated[Owner, Depends(owner)]

    @router.get(
        "/events",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def events(
        request: Request,
        who: OwnerDep,
        webhooks: WebhooksDep,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """The public events as server-sent events (`event:` is the type, `data:` the same
        body a webhook gets). Resume after a disconnect with `Last-Event-ID`."""
        after = _last_event_id(last_event_id)
        return StreamingResponse(
            _events(request, webhooks.runtime.db, webhooks.listeners, who, after),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router
