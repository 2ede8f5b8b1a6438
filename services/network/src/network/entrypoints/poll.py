"""The poller: reads every device on its schedule, publishes its telemetry and judges it for
alerts (mailed by this role's mail sender); and the trap receiver, which knows the devices
through it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from network.bootstrap import Network
from network.traps.receiver import TrapReceiver
from servicekit.mail import MailSender
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait


@asynccontextmanager
async def polling(network: Network) -> AsyncIterator[None]:
    runtime = network.runtime
    polling = runtime.spawn(network.fleet.run(), "poller")
    forgetting = runtime.spawn(network.fleet.forget_old_rollups(), "rollup-retention")
    mailing = runtime.spawn(
        MailSender(runtime.db, network.mailer, network.settings.platform).run(), "mail-sender"
    )
    tasks = [polling, forgetting, mailing]
    settings = network.settings
    if settings.trap_port:
        receiver = TrapReceiver(
            network.fleet.poller,
            network.fleet.record_trap,
            host=settings.trap_host,
            port=settings.trap_port,
        )
        tasks.append(network.runtime.spawn(receiver.run(), "trap-receiver"))
    try:
        yield
    finally:
        await cancel_and_wait(*tasks)


def role(network: Network) -> Role:
    return Role(running=lambda: polling(network))
