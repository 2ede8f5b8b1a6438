"""The mail outbox's sender against real Postgres and a real SMTP server (aiosmtpd).

What a service relies on: queued mail is delivered once and its body erased; a burst goes out in
one SMTP session; a message the server refuses is kept for another try without holding up the
rest; and a server that is down loses nothing.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import MetaData, Table, select, text

from devstack.components import Postgres
from devstack.ports import free_port
from servicekit.config import PlatformSettings
from servicekit.db import Database
from servicekit.mail import Mailer, MailSender, mail_outbox_table

pytestmark = pytest.mark.integration

REFUSED_ADDRESS = "nobody@refused.example"


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it received and refuses one recipient."""

    sessions: int = 0
    received: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list
    ) -> list:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address == REFUSED_ADDRESS:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.received += [(to, envelope.content) for to in envelope.rcpt_tos]
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


@dataclass
class Outbox:
    db: Database
    table: Table
    mailer: Mailer

    async def queue(self, *addresses: str) -> None:
        async with self.db.unit_of_work() as session:
            for to in addresses:
                await self.mailer.queue(session, to=to, subject="Welcome", body=f"Hello {to}")

    async def rows(self) -> dict[str, tuple[bool, str | None, int, str | None]]:
        """By address: (sent, body, attempts, last_error)."""
        t = self.table
        async with self.db.unit_of_work() as session:
            found = await session.execute(
                select(t.c.to_address, t.c.sent_at, t.c.body, t.c.attempts, t.c.last_error)
            )
            return {
                r.to_address: (r.sent_at is not None, r.body, r.attempts, r.last_error)
                for r in found
            }


@pytest.fixture
async def outbox(postgres: Postgres) -> AsyncIterator[Outbox]:
    schema = f"mail_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=schema)
    table = mail_outbox_table(metadata)
    db = Database(postgres.url)
    async with db.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.run_sync(metadata.create_all)
    yield Outbox(db, table, Mailer(table))
    async with db.engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await db.dispose()


def sender(outbox: Outbox, port: int) -> MailSender:
    settings = PlatformSettings(smtp_host="127.0.0.1", smtp_port=port)
    return MailSender(outbox.db, outbox.mailer, settings)


async def test_a_burst_goes_out_in_one_session_and_each_body_is_erased(
    outbox: Outbox, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, port = smtp_server
    addresses = [f"owner{i}@isp{i}.example" for i in range(5)]
    await outbox.queue(*addresses)

    assert await sender(outbox, port).send_pending() is True

    assert recorder.sessions == 1
    assert sorted(to for to, _ in recorder.received) == sorted(addresses)
    assert all(f"Hello {to}".encode() in content for to, content in recorder.received)
    assert await outbox.rows() == {to: (True, None, 0, None) for to in addresses}
    # Sent mail is not sent again.
    assert await sender(outbox, port).send_pending() is True
    assert len(recorder.received) == len(addresses)


async def test_a_refused_message_waits_for_another_try_and_the_rest_go_out(
    outbox: Outbox, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, port = smtp_server
    await outbox.queue("first@isp.example", REFUSED_ADDRESS, "last@isp.example")

    assert await sender(outbox, port).send_pending() is False

    assert recorder.sessions == 1
    assert [to for to, _ in recorder.received] == ["first@isp.example", "last@isp.example"]
    rows = await outbox.rows()
    assert rows["first@isp.example"] == (True, None, 0, None)
    assert rows["last@isp.example"] == (True, None, 0, None)
    assert rows[REFUSED_ADDRESS] == (
        False,
        f"Hello {REFUSED_ADDRESS}",
        1,
        "SMTPRecipientsRefused",
    )


async def test_a_server_that_is_down_loses_nothing(
    outbox: Outbox, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, port = smtp_server
    addresses = ["a@isp.example", "b@isp.example"]
    await outbox.queue(*addresses)

    assert await sender(outbox, free_port()).send_pending() is False  # nothing listens there

    assert await outbox.rows() == {
        to: (False, f"Hello {to}", 1, "ConnectionRefusedError") for to in addresses
    }
    # Once a server answers, the next pass delivers both.
    assert await sender(outbox, port).send_pending() is True
    assert sorted(to for to, _ in recorder.received) == addresses
    assert all(sent for sent, *_ in (await outbox.rows()).values())
