"""What licensing's endpoints depend on, from its composition root (the app's lifespan
state)."""

from typing import Annotated

from fastapi import Depends, Request

from licensing.bootstrap import Licensing


async def get_licensing(request: Request) -> Licensing:
    licensing: Licensing = request.state.licensing
    return licensing


LicensingDep = Annotated[Licensing, Depends(get_licensing)]
