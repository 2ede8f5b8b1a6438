"""The dispatcher: sends due deliveries (and the mail that tells owners their endpoint was
disabled), and forgets messages past their retention. Any number of processes may run it: each
takes its own deliveries."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servicekit.mail import MailSender
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait
from webhooks.bootstrap import Webhooks
from webhooks.delivery.retention import keep_forgetting


@asynccontextmanager
async def delivering(webhooks: Webhooks) -> AsyncIterator[None]:
    runtime = webhooks.runtime
    dispatching = runtime.spawn(webhooks.dispatcher.run(), "dispatcher")
    mailing = runtime.spawn(
        MailSender(runtime.db, webhooks.mailer, webhooks.settings.platform).run(), "mail-sender"
    )
    forgetting = runtime.spawn(
        keep_forgetting(runtime.db, webhooks.settings.message_retention_days), "retention"
    )
    try:
        yield
    finally:
        await cancel_and_wait(dispatching, mailing, forgetting)


def role(webhooks: Webhooks) -> Role:
    return Role(running=lambda: delivering(webhooks))
