"""Support tickets on real Postgres: opening, assigning, the status lifecycle, comments with
author and time, SLA due times for sla_management tenants, and bad input."""

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from tenant_api.identity.auth.roles import Role
from tenant_api.models import Ticket

pytestmark = pytest.mark.integration
NO_SLA = ("customer_management", "user_auth", "basic_billing", "basic_reporting")


async def open_ticket(isp, role=Role.SUPPORT, **fields):
    body = {"subject": "No connection since the storm", **fields}
    response = await isp.client.post("/api/v1/tickets", json=body, headers=isp.as_(role))
    assert response.status_code == 201, response.text
    return response.json()


async def patch(isp, ticket, body, role=Role.SUPPORT):
    return await isp.client.patch(
        f"/api/v1/tickets/{ticket['id']}", json=body, headers=isp.as_(role)
    )


async def test_a_ticket_is_worked_from_open_to_closed_with_comments_by_their_authors(
    business_isp,
):
    isp = await business_isp()
    customer = (
        await isp.client.post("/api/v1/customers", json={"name": "Ann Lee"}, headers=isp.owner)
    ).json()
    first = await open_ticket(isp, customer_id=customer["id"], priority="high")
    second = await open_ticket(isp, subject="Router keeps rebooting")
    assert (first["number"], second["number"]) == (1, 2)
    assert (first["status"], first["priority"], first["customer_id"]) == (
        "open",
        "high",
        customer["id"],
    )
    assert first["opened_by"] == f"user:{isp.user_ids[Role.SUPPORT]}"

    support = isp.user_ids[Role.SUPPORT]
    assigned = await patch(isp, first, {"assignee_id": str(support), "status": "pending"})
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assignee_id"], assigned.json()["status"]) == (str(support), "pending")
    path = f"/api/v1/tickets/{first['id']}/comments"
    for role, body in ((Role.SUPPORT, "Asked for a speed test."), (Role.ADMIN, "Escalated.")):
        added = await isp.client.post(path, json={"body": body}, headers=isp.as_(role))
        assert added.status_code == 201, added.text
    resolved = (await patch(isp, first, {"status": "resolved"})).json()
    assert resolved["resolved_at"] and resolved["closed_at"] is None
    reopened = (await patch(isp, first, {"status": "open"})).json()
    assert reopened["resolved_at"] is None
    closed = (await patch(isp, first, {"status": "closed"})).json()
    assert closed["closed_at"] and closed["resolved_at"]

    detail = (
        await isp.client.get(f"/api/v1/tickets/{first['id']}", headers=isp.as_(Role.READ_ONLY))
    ).json()
    assert [(c["body"], c["author_id"]) for c in detail["comments"]] == [
        ("Asked for a speed test.", str(support)),
        ("Escalated.", str(isp.user_ids[Role.ADMIN])),
    ]
    assert detail["comments"][0]["created_at"] <= detail["comments"][1]["created_at"]
    after_close = await isp.client.post(path, json={"body": "late"}, headers=isp.owner)
    assert after_close.status_code == 409
    final = await patch(isp, first, {"status": "open"})
    assert final.status_code == 409

    listed = (
        await isp.client.get(
            "/api/v1/tickets", params={"status": ["open", "pending"]}, headers=isp.owner
        )
    ).json()
    assert [t["number"] for t in listed["items"]] == [2]
    by_customer = (
        await isp.client.get(
            "/api/v1/tickets", params={"customer_id": customer["id"]}, headers=isp.owner
        )
    ).json()
    assert [t["number"] for t in by_customer["items"]] == [1]
    found = (
        await isp.client.get("/api/v1/tickets", params={"q": "REBOOT"}, headers=isp.owner)
    ).json()
    assert [t["number"] for t in found["items"]] == [2]


async def test_sla_due_times_follow_priority_only_with_sla_management(business_isp):
    isp = await business_isp()
    urgent = await open_ticket(isp, priority="urgent")
    created = datetime.fromisoformat(urgent["created_at"])
    assert datetime.fromisoformat(urgent["sla_due_at"]) - created == timedelta(hours=4)
    lowered = (await patch(isp, urgent, {"priority": "low"})).json()
    assert datetime.fromisoformat(lowered["sla_due_at"]) - created == timedelta(hours=72)
    assert lowered["overdue"] is False

    late = await open_ticket(isp, priority="normal", subject="Outage on Elm Street")
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            update(Ticket)
            .where(Ticket.number == late["number"])
            .values(sla_due_at=datetime.fromisoformat(late["created_at"]) - timedelta(hours=1))
        )
    overdue = (
        await isp.client.get("/api/v1/tickets", params={"overdue": "true"}, headers=isp.owner)
    ).json()
    assert [(t["number"], t["overdue"]) for t in overdue["items"]] == [(late["number"], True)]
    by_due = (
        await isp.client.get("/api/v1/tickets", params={"sort": "sla_due_at"}, headers=isp.owner)
    ).json()
    assert [t["number"] for t in by_due["items"]] == [late["number"], urgent["number"]]

    plain = await business_isp(tier="basic", plugins=NO_SLA)
    ticket = await open_ticket(plain, priority="urgent")
    assert (ticket["sla_due_at"], ticket["overdue"]) == (None, False)


async def test_bad_tickets_are_refused_and_nothing_is_stored(business_isp):
    isp = await business_isp()
    other = await business_isp()
    ghost = "00000000-0000-0000-0000-000000000000"
    for body in (
        {},
        {"subject": ""},
        {"subject": "x" * 201},
        {"subject": "ok", "priority": "whenever"},
        {"subject": "ok", "customer_id": ghost},
        {"subject": "ok", "assignee_id": ghost},
        {"subject": "ok", "assignee_id": str(other.user_ids[Role.OWNER])},
        {"subject": "ok", "status": "closed"},
        {"subject": "ok", "description": "x" * 5001},
    ):
        response = await isp.client.post("/api/v1/tickets", json=body, headers=isp.owner)
        assert response.status_code == 422, (body, response.text)
    read_only = await isp.client.post(
        "/api/v1/tickets", json={"subject": "ok"}, headers=isp.as_(Role.READ_ONLY)
    )
    assert read_only.status_code == 403
    billing = await isp.client.post(
        "/api/v1/tickets", json={"subject": "ok"}, headers=isp.as_(Role.BILLING)
    )
    assert billing.status_code == 403
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        assert (await session.execute(select(Ticket))).first() is None

    ticket = await open_ticket(isp)
    for body in ({"subject": None}, {"status": "later"}, {"priority": None}, {"number": 7}):
        assert (await patch(isp, ticket, body)).status_code == 422, body
    stored = (await isp.client.get(f"/api/v1/tickets/{ticket['id']}", headers=isp.owner)).json()
    assert {k: stored[k] for k in ticket} == ticket


async def test_the_platform_is_told_the_open_ticket_count_as_tickets_open_and_move(business_isp):
    isp = await business_isp()
    first = await open_ticket(isp)
    await open_ticket(isp, subject="Slow evenings")
    assert (await patch(isp, first, {"status": "pending"})).status_code == 200
    assert (await patch(isp, first, {"priority": "high"})).status_code == 200  # not a move
    assert (await patch(isp, first, {"status": "resolved"})).status_code == 200
    assert (await patch(isp, first, {"status": "open"})).status_code == 200  # reopened

    counted = await isp.published("dotmac.tenant.tickets.counted.v1")
    assert [c["open_tickets"] for c in counted] == [1, 2, 2, 1, 2]
    assert {c["isp_id"] for c in counted} == {str(isp.id)}


async def test_the_platform_hears_of_each_ticket_opened_and_of_what_each_change_changed(
    business_isp,
):
    isp = await business_isp()
    customer = (
        await isp.client.post("/api/v1/customers", json={"name": "Ann Lee"}, headers=isp.owner)
    ).json()
    ticket = await open_ticket(isp, customer_id=customer["id"], priority="high")
    support = isp.user_ids[Role.SUPPORT]
    by = f"user:{support}"
    assert (await patch(isp, ticket, {"status": "pending"})).status_code == 200
    both = {"priority": "urgent", "assignee_id": str(support)}
    assert (await patch(isp, ticket, both)).status_code == 200
    assert (await patch(isp, ticket, {"priority": "urgent"})).status_code == 200  # as it was
    assert (await patch(isp, ticket, {"priority": None})).status_code == 422
    assert (await patch(isp, ticket, {"assignee_id": str(uuid.uuid4())})).status_code == 422
    path = f"/api/v1/tickets/{ticket['id']}/comments"
    note = await isp.client.post(path, json={"body": "Sent a technician."}, headers=isp.owner)
    assert note.status_code == 201
    assert (await patch(isp, ticket, {"status": "closed"})).status_code == 200
    assert (await patch(isp, ticket, {"status": "open"})).status_code == 409
    late = await isp.client.post(path, json={"body": "late"}, headers=isp.owner)
    assert late.status_code == 409

    (opened,) = await isp.published("dotmac.tenant.ticket.opened.v1")
    assert datetime.fromisoformat(opened.pop("opened_at")) == datetime.fromisoformat(
        ticket["created_at"]
    )
    assert opened == {
        "isp_id": str(isp.id),
        "ticket_id": ticket["id"],
        "number": 1,
        "title": "No connection since the storm",
        "priority": "high",
        "status": "open",
        "customer_id": customer["id"],
        "assignee_id": None,
        "by": by,
    }
    updated = await isp.published("dotmac.tenant.ticket.updated.v1")
    assert [(u["changes"], u["previous_status"], u["status"], u["by"]) for u in updated] == [
        (["status"], "open", "pending", by),
        (["priority", "assignee"], None, "pending", by),
        (["comment"], None, "pending", f"user:{isp.user_ids[Role.OWNER]}"),
        (["status"], "pending", "closed", by),
    ]
    assert {(u["ticket_id"], u["number"], u["customer_id"]) for u in updated} == {
        (ticket["id"], 1, customer["id"])
    }
    assert [(u["priority"], u["assignee_id"]) for u in updated] == [
        ("high", None),
        ("urgent", str(support)),
        ("urgent", str(support)),
        ("urgent", str(support)),
    ]
    assert [u["comment_id"] for u in updated] == [None, None, note.json()["id"], None]
    assert all(u["updated_at"] for u in updated)
