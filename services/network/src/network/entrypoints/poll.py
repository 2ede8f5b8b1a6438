"""The poller: reads every device on its schedule and publishes its telemetry."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from network.bootstrap import Network
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait


@asynccontextmanager
async def polling(network: Network) -> AsyncIterator[None]:
    polling = network.runtime.spawn(network.fleet.run(), "poller")
    forgetting = network.runtime.spawn(network.fleet.forget_old_rollups(), "rollup-retention")
    try:
        yield
    finally:
        await cancel_and_wait(polling, forgetting)


def role(network: Network) -> Role:
    return Role(running=lambda: polling(network))
