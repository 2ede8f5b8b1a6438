"""What billing's endpoints depend on, from its composition root (the app's lifespan state)."""

from typing import Annotated

from fastapi import Depends, Request

from billing.bootstrap import Billing


async def get_billing(request: Request) -> Billing:
    billing: Billing = request.state.billing
    return billing


BillingDep = Annotated[Billing, Depends(get_billing)]
