"""An activated tenant's owner is invited by email with a one-time code, chooses a password
with it, and is signed in. A real SMTP server (aiosmtpd) receives the mail."""

import asyncio
import logging
import re
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from devstack.ports import free_port
from tenant_api.models import mail_outbox

pytestmark = pytest.mark.integration
TOKEN = "welcome-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture(scope="module")
async def api(start_tenant_api, smtp):
    port, inbox = smtp
    async with start_tenant_api(
        internal_token=TOKEN, smtp_port=port, gateway_url="http://127.0.0.1:8080"
    ) as (app, c):
        yield c, app.runtime, inbox


async def test_the_owner_is_invited_once_and_chooses_a_password_with_the_code(api, caplog):
    client, runtime, inbox = api
    caplog.set_level(logging.DEBUG)
    tenant_id, slug = uuid.uuid4(), f"own-{uuid.uuid4().hex[:6]}"
    owner = f"ann-{slug}@acme.example"
    spec = {
        "slug": slug,
        "name": "Acme Fiber",
        "tier": "basic",
        "host": f"{slug}.localhost",
        "owner": {"name": "Ann", "email": owner.upper()},
    }
    assert (
        await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec, headers=AUTH)
    ).status_code == 201
    for _ in range(2):
        await client.post(f"/internal/v1/tenants/{tenant_id}/activate", headers=AUTH)

    for _ in range(100):
        mine = [m for m in inbox.messages if m["To"] == owner]
        if mine:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    mine = [m for m in inbox.messages if m["To"] == owner]
    assert len(mine) == 1, "invited once, however often activation is repeated"
    body = mine[0].get_payload(decode=True).decode().replace("\r\n", "\n")
    assert f"http://{slug}.localhost:8080" in body
    code = re.search(r"^    (\S+)$", body, re.MULTILINE).group(1)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert not any(code in line for line in ours), "the one-time code never reaches a log"
    assert len(ours) > 0, "the check saw the platform's log records"
    async with runtime.db.unit_of_work() as s:
        stored = (
            (await s.execute(select(mail_outbox.c.body).where(mail_outbox.c.to_address == owner)))
            .scalars()
            .all()
        )
    assert stored == [None], "the delivered body is erased"

    host = {"Host": f"{slug}.localhost"}
    too_short = await client.post(
        "/api/v1/auth/first-login", json={"token": code, "password": "short"}, headers=host
    )
    assert too_short.status_code == 422
    chosen = await client.post(
        "/api/v1/auth/first-login",
        json={"token": code, "password": "a long enough password"},
        headers=host,
    )
    assert chosen.status_code == 200, chosen.text
    me = await client.get(
        "/api/v1/auth/me",
        headers={**host, "Authorization": f"Bearer {chosen.json()['access_token']}"},
    )
    assert me.json()["role"] == "owner" and me.json()["email"] == owner
    again = await client.post(
        "/api/v1/auth/first-login",
        json={"token": code, "password": "another long password"},
        headers=host,
    )
    assert again.status_code == 401, "the code works once"
    signed_in = await client.post(
        "/api/v1/auth/login",
        json={"email": owner, "password": "a long enough password"},
        headers=host,
    )
    assert signed_in.status_code == 200


async def test_a_made_up_code_is_a_401(api):
    client, _, _ = api
    tenant_id, slug = uuid.uuid4(), f"own-{uuid.uuid4().hex[:6]}"
    spec = {"slug": slug, "name": "X", "tier": "free", "host": f"{slug}.localhost"}
    await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec, headers=AUTH)
    response = await client.post(
        "/api/v1/auth/first-login",
        json={"token": "guess", "password": "a long enough password"},
        headers={"Host": f"{slug}.localhost"},
    )
    assert response.status_code == 401
