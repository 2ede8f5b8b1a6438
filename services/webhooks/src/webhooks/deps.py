"""What webhooks' endpoints depend on, from its composition root (the app's lifespan state)."""

from typing import Annotated

from fastapi import Depends, Request

from webhooks.bootstrap import Webhooks


async def get_webhooks(request: Request) -> Webhooks:
    webhooks: Webhooks = request.state.webhooks
    return webhooks


WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]
