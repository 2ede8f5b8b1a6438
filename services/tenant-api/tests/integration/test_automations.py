"""Automation rules on real Postgres: each trigger runs its rules' actions in the transaction of
the change that fired it, records what they did, and runs nothing without advanced_automation;
rules that name facts, placeholders or actions their trigger lacks are refused when saved."""

import uuid

import pytest
from sqlalchemy import func, select

from tenant_api.identity.auth.roles import Role
from tenant_api.models import AutomationRule, Ticket

pytestmark = pytest.mark.integration
WITHOUT_AUTOMATION = ("customer_management", "user_auth", "basic_billing", "basic_reporting")

RETENTION = {
    "name": "Retention call when a business customer cancels",
    "trigger": "customer.status_changed",
    "conditions": [
        {"fact": "status.to", "value": "cancelled"},
        {"fact": "customer.kind", "op": "in", "value": ["business", "reseller"]},
    ],
    "actions": [
        {
            "type": "open_ticket",
            "subject": "Retention call: {customer.name} cancelled",
            "description": "Account {customer.account_number}. Reason: {status.reason}",
            "priority": "high",
        },
        {"type": "add_tag", "tag": "win-back"},
    ],
}


async def add_rule(isp, body, role=Role.ADMIN):
    response = await isp.client.post("/api/v1/automations", json=body, headers=isp.as_(role))
    assert response.status_code == 201, response.text
    return response.json()


async def new_customer(isp, **fields):
    response = await isp.client.post(
        "/api/v1/customers", json={"name": "Harbour Cafe", **fields}, headers=isp.owner
    )
    assert response.status_code == 201, response.text
    return response.json()


async def move(isp, customer, status, reason=None):
    response = await isp.client.post(
        f"/api/v1/customers/{customer['id']}/status",
        json={"status": status, "reason": reason},
        headers=isp.owner,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_status_change_opens_a_ticket_and_tags_the_customer_when_the_rule_holds(
    business_isp,
):
    isp = await business_isp()
    rule = await add_rule(isp, RETENTION)
    assert (rule["enabled"], rule["runs"], rule["last_run_at"]) == (True, 0, None)
    business = await new_customer(isp, kind="business", status="active")
    household = await new_customer(isp, name="Ann Lee", status="active")

    await move(isp, household, "cancelled", "moving abroad")  # residential: the rule does not hold
    cancelled = await move(isp, business, "cancelled", "found a cheaper offer")

    tickets = (await isp.client.get("/api/v1/tickets", headers=isp.owner)).json()["items"]
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket["subject"] == "Retention call: Harbour Cafe cancelled"
    assert ticket["description"] == (
        f"Account {business['account_number']}. Reason: found a cheaper offer"
    )
    assert (ticket["priority"], ticket["customer_id"]) == ("high", business["id"])
    assert ticket["opened_by"] == f"automation:{rule['id']}"
    assert cancelled["tags"] == ["win-back"]  # the answer shows what the rule did

    rule = (await isp.client.get(f"/api/v1/automations/{rule['id']}", headers=isp.owner)).json()
    assert rule["runs"] == 1 and rule["last_run_at"] is not None
    runs = (
        await isp.client.get(f"/api/v1/automations/{rule['id']}/runs", headers=isp.owner)
    ).json()
    assert runs["total"] == 1
    assert runs["items"][0]["subject_id"] == business["id"]
    assert runs["items"][0]["done"] == [
        f"opened ticket #{ticket['number']}",
        "tagged the customer win-back",
    ]
    # A repeat of the same status changes nothing, and so fires nothing.
    await move(isp, business, "cancelled", "found a cheaper offer")
    again = (await isp.client.get(f"/api/v1/automations/{rule['id']}", headers=isp.owner)).json()
    assert again["runs"] == 1


async def test_ticket_rules_raise_the_priority_assign_and_comment_but_open_no_further_rules(
    business_isp,
):
    isp = await business_isp()
    support = isp.user_ids[Role.SUPPORT]
    sla_rule = await add_rule(
        isp,
        {
            "name": "Business customers get the business SLA",
            "trigger": "ticket.opened",
            "conditions": [
                {"fact": "customer.kind", "value": "business"},
                {"fact": "customer.tags", "op": "contains", "value": "gold"},
            ],
            "actions": [
                {"type": "set_priority", "priority": "urgent"},
                {"type": "assign_ticket", "assignee_id": str(support)},
                {"type": "comment", "body": "#{ticket.number} ({ticket.subject}) raised."},
            ],
        },
    )
    # Opening a ticket from a customer rule must not fire ticket.opened rules in turn.
    welcome_rule = await add_rule(
        isp,
        {
            "name": "Welcome call",
            "trigger": "customer.created",
            "conditions": [{"fact": "customer.kind", "value": "business"}],
            "actions": [{"type": "open_ticket", "subject": "Welcome call: {customer.name}"}],
        },
    )
    gold = await new_customer(isp, kind="business", tags=["gold"])
    plain = await new_customer(isp, name="Bay Bakery", kind="business")
    opened = await isp.client.post(
        "/api/v1/tickets",
        json={"subject": "Line down", "customer_id": gold["id"]},
        headers=isp.as_(Role.SUPPORT),
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert (ticket["priority"], ticket["assignee_id"]) == ("urgent", str(support))
    assert ticket["sla_due_at"] is not None  # recomputed for the new priority
    detail = (await isp.client.get(f"/api/v1/tickets/{ticket['id']}", headers=isp.owner)).json()
    assert [c["body"] for c in detail["comments"]] == [f"#{ticket['number']} (Line down) raised."]

    listed = (await isp.client.get("/api/v1/tickets", headers=isp.owner)).json()
    welcome = [t for t in listed["items"] if t["subject"].startswith("Welcome call")]
    assert sorted(t["subject"] for t in welcome) == [
        "Welcome call: Bay Bakery",
        "Welcome call: Harbour Cafe",
    ]
    assert all(t["priority"] == "normal" and t["assignee_id"] is None for t in welcome)
    assert plain["id"] in {t["customer_id"] for t in welcome}

    # The platform hears of what the rules did, signed by the rule, after the ticket opened.
    opened = await isp.published("dotmac.tenant.ticket.opened.v1")
    by_rule = f"automation:{welcome_rule['id']}"
    assert [(t["title"], t["by"]) for t in opened] == [
        ("Welcome call: Harbour Cafe", by_rule),
        ("Welcome call: Bay Bakery", by_rule),
        ("Line down", f"user:{support}"),
    ]
    assert opened[2]["priority"] == "normal"  # as opened, before the rule raised it
    updated = await isp.published("dotmac.tenant.ticket.updated.v1")
    assert [(u["ticket_id"], u["changes"], u["by"]) for u in updated] == [
        (ticket["id"], ["priority"], f"automation:{sla_rule['id']}"),
        (ticket["id"], ["assignee"], f"automation:{sla_rule['id']}"),
        (ticket["id"], ["comment"], f"automation:{sla_rule['id']}"),
    ]
    assert updated[-1]["comment_id"] == detail["comments"][0]["id"]


async def test_without_advanced_automation_rules_are_out_of_reach_and_run_nothing(business_isp):
    isp = await business_isp(tier="basic", plugins=WITHOUT_AUTOMATION)
    refused = await isp.client.post("/api/v1/automations", json=RETENTION, headers=isp.owner)
    assert refused.status_code == 403
    assert "advanced_automation" in refused.json()["detail"]
    # A rule left from an earlier, higher tier stays but does not run.
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        session.add(
            AutomationRule(
                id=uuid.uuid4(),
                tenant_id=isp.id,
                name="left over",
                trigger="customer.created",
                conditions=[],
                actions=[{"type": "open_ticket", "subject": "should not open", "priority": "low"}],
                enabled=True,
                runs=0,
                created_by="test",
                created_at=now,
                updated_at=now,
            )
        )
    await new_customer(isp)
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_disabled_rules_do_not_run_and_rules_are_updated_and_deleted(business_isp):
    isp = await business_isp()
    rule = await add_rule(isp, {**RETENTION, "enabled": False})
    business = await new_customer(isp, kind="business", status="active")
    await move(isp, business, "suspended", "unpaid")
    await move(isp, business, "cancelled", "unpaid")
    assert (await isp.client.get("/api/v1/tickets", headers=isp.owner)).json()["total"] == 0

    path = f"/api/v1/automations/{rule['id']}"
    renamed = await isp.client.patch(
        path, json={"name": "Win-back", "enabled": True}, headers=isp.owner
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["enabled"]) == ("Win-back", True)
    assert renamed.json()["actions"] == rule["actions"]
    support_may_not = await isp.client.patch(
        path, json={"enabled": False}, headers=isp.as_(Role.SUPPORT)
    )
    assert support_may_not.status_code == 403
    assert (await isp.client.get(path, headers=isp.as_(Role.SUPPORT))).status_code == 200
    listed = await isp.client.get(
        "/api/v1/automations?trigger=customer.status_changed", headers=isp.owner
    )
    assert [r["id"] for r in listed.json()["items"]] == [rule["id"]]
    assert (await isp.client.delete(path, headers=isp.owner)).status_code == 204
    assert (await isp.client.get(path, headers=isp.owner)).status_code == 404
    assert (await isp.client.delete(path, headers=isp.owner)).status_code == 404


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"conditions": [{"fact": "ticket.priority", "value": "high"}]}, "offers the facts"),
        ({"conditions": [{"fact": "customer.tags", "value": "vip"}]}, "contains"),
        ({"conditions": [{"fact": "status.to", "op": "in", "value": "active"}]}, "list"),
        ({"actions": [{"type": "set_priority", "priority": "high"}]}, "acts on a ticket"),
        ({"actions": [{"type": "open_ticket", "subject": "{customer.password}"}]}, "not known"),
        ({"actions": [{"type": "open_ticket", "subject": "x", "priority": "asap"}]}, "priority"),
        ({"actions": [{"type": "run_shell", "command": "rm -rf /"}]}, "type"),
        ({"actions": []}, "actions"),
        ({"trigger": "invoice.overdue"}, "trigger"),
        ({"name": "x" * 201}, "name"),
        ({"name": "<script>alert(1)</script>'; DROP TABLE automation_rules; --"}, None),
        ({"extra": 1}, "extra"),
    ],
)
async def test_rules_that_do_not_fit_their_trigger_are_refused_and_nothing_is_saved(
    business_isp, change, complaint
):
    isp = await business_isp()
    response = await isp.client.post(
        "/api/v1/automations", json={**RETENTION, **change}, headers=isp.owner
    )
    if complaint is None:  # hostile-looking text is just a name: stored as sent, never run
        assert response.status_code == 201, response.text
        assert response.json()["name"] == change["name"]
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert complaint in response.text
    listed = (await isp.client.get("/api/v1/automations", headers=isp.owner)).json()
    assert listed["total"] == 0


async def test_an_assignee_who_is_not_an_active_user_here_is_refused(business_isp):
    isp, other = await business_isp(), await business_isp()
    for assignee in (uuid.uuid4(), other.user_ids[Role.SUPPORT]):
        response = await isp.client.post(
            "/api/v1/automations",
            json={
                "name": "Assign",
                "trigger": "ticket.opened",
                "actions": [{"type": "assign_ticket", "assignee_id": str(assignee)}],
            },
            headers=isp.owner,
        )
        assert response.status_code == 422, response.text
    malformed = await isp.client.post(
        "/api/v1/automations",
        content=b'{"name": ',
        headers={**isp.owner, "Content-Type": "application/json"},
    )
    assert malformed.status_code in (400, 422)
    assert (await isp.client.get("/api/v1/automations", headers=isp.owner)).json()["total"] == 0
