"""Outgoing email through a mail outbox: a message is queued in the same transaction as the
state that calls for it, and a sender delivers it over SMTP once that commits — so a rolled-back
change sends nothing, and a mail server that is down delays mail instead of losing it.

Messages can carry one-time secrets (a first-login link): the body is erased once delivered and
never logged. A service whose outbox has the `attachments` column (`mail_outbox_table(...,
attachments=True)`) can attach files (an invoice's PDF); they are erased with the body.
"""

import asyncio
import base64
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    Row,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.config import PlatformSettings
from servicekit.db import Database, after_commit
from servicekit.notify import listen_elsewhere, wake_workers
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    """e.g. application/pdf"""
    data: bytes

    def stored(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode(),
        }


def mail_outbox_table(metadata: MetaData, *, attachments: bool = False) -> Table:
    """The outbox; with `attachments`, it has a column for files attached (the service's
    migrations must have added it)."""
    extra = [Column("attachments", JSONB, comment="erased once delivered")] if attachments else []
    table = Table(
        "mail_outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("to_address", String(320), nullable=False),
        Column("subject", String(300), nullable=False),
        Column("body", Text, comment="erased once delivered"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", BigInteger, nullable=False, server_default="0"),
        Column("last_error", Text),
        *extra,
    )
    Index("ix_mail_outbox_unsent", table.c.id, postgresql_where=table.c.sent_at.is_(None))
    return table


class Mailer:
    def __init__(self, table: Table) -> None:
        self._table = table
        self.channel = f"mail_{table.schema or 'public'}"
        self.sender: MailSender | None = None
        """This process's sender, while one runs: it is handed what commits here."""

    async def queue(self, session: AsyncSession, *, to: str, subject: str, body: str) -> None:
        """Send this mail if, and once, the caller's transaction commits."""
        await self._queue(session, {"to_address": to, "subject": subject, "body": body})

    async def queue_with_attachments(
        self,
        session: AsyncSession,
        *,
        to: str,
        subject: str,
        body: str,
        attachments: tuple[Attachment, ...],
    ) -> None:
        """As `queue`, with files attached (the outbox must have the `attachments` column)."""
        if "attachments" not in self._table.c:
            raise ValueError("this service's mail outbox takes no attachments")
        values: dict[str, Any] = {"to_address": to, "subject": subject, "body": body}
        values["attachments"] = [a.stored() for a in attachments]
        await self._queue(session, values)

    async def _queue(self, session: AsyncSession, values: dict[str, Any]) -> None:
        await session.execute(insert(self._table).values(**values))
        sender = self.sender
        if sender is not None:
            after_commit(session, sender.wake)
        else:
            await wake_workers(session, self.channel)


REFUSED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
"""A server's refusal of one message (its sender, its recipients or its data): smtplib resets
the session, which carries on with the next message."""


class MailSender:
    BATCH = 20
    """Messages sent per pass (and per SMTP session)."""

    def __init__(self, db: Database, mailer: Mailer, settings: PlatformSettings) -> None:
        self._db = db
        self._mailer = mailer
        self._table = mailer._table
        self._channel = mailer.channel
        self._settings = settings
        self._wake = asyncio.Event()
        t = self._table
        self._due = (
            select(t)
            .where(t.c.sent_at.is_(None))
            .order_by(t.c.id)
            .limit(self.BATCH)
            .with_for_update(skip_locked=True)
        )
        erased: dict[str, Any] = {"sent_at": func.now(), "body": None}
        if "attachments" in t.c:
            erased["attachments"] = None
        self._mark_sent = (
            update(t)
            .where(t.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger))))
            .values(erased)
        )

    def wake(self) -> None:
        """Look for mail to send now."""
        self._wake.set()

    async def run(self) -> None:
        listener = asyncio.create_task(
            listen_elsewhere(self._db, self._channel, lambda _: self._wake.set())
        )
        self._mailer.sender = self
        try:
            while True:
                stop_if_asked()
                self._wake.clear()
                try:
                    delivered_all = await self.send_pending()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("mail delivery pass failed; retrying", exc_info=True)
                    delivered_all = False
                timeout = 30.0 if delivered_all else 5.0
                try:
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            if self._mailer.sender is self:
                self._mailer.sender = None
            await cancel_and_wait(listener)

    async def send_pending(self) -> bool:
        """Deliver what is queued, over one SMTP session. True when nothing failed."""
        t = self._table
        async with self._db.unit_of_work() as session:
            rows = (await session.execute(self._due)).all()
            if not rows:
                return True
            failures = await asyncio.to_thread(self._deliver, rows)
            sent = [row.id for row in rows if row.id not in failures]
            if sent:
                await session.execute(self._mark_sent, {"ids": sent})
            for id_, error in failures.items():
                await session.execute(
                    update(t)
                    .where(t.c.id == id_)
                    .values(attempts=t.c.attempts + 1, last_error=error)
                )
            return not failures

    def _deliver(self, rows: Sequence[Row[Any]]) -> dict[int, str]:
        """Send `rows` in one SMTP session (a burst of welcomes is one connection, not one
        each). Returns why each row that was not sent failed. A message the server refuses
        leaves the session to the next; a session that breaks is opened again for the next,
        and one that cannot be opened fails the rest of the pass, to be retried."""
        failures: dict[int, str] = {}
        smtp: smtplib.SMTP | None = None
        try:
            for position, row in enumerate(rows):
                if smtp is None:
                    try:
                        smtp = smtplib.SMTP(
                            self._settings.smtp_host, self._settings.smtp_port, timeout=10
                        )
                    except (OSError, smtplib.SMTPException) as error:
                        failures |= {r.id: type(error).__name__ for r in rows[position:]}
                        break
                files = row._mapping.get("attachments") or []
                try:
                    smtp.send_message(self._message(row.to_address, row.subject, row.body, files))
                except REFUSED as error:  # this message refused; the session goes on
                    failures[row.id] = type(error).__name__
                except (OSError, smtplib.SMTPException) as error:  # the session broke
                    failures[row.id] = type(error).__name__
                    smtp.close()
                    smtp = None
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    smtp.close()
        return failures

    def _message(
        self, to: str, subject: str, body: str, files: list[dict[str, str]]
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        for file in files:
            maintype, _, subtype = file["content_type"].partition("/")
            message.add_attachment(
                base64.b64decode(file["data"]),
                maintype=maintype,
                subtype=subtype,
                filename=file["filename"],
            )
        return message
