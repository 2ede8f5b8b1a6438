"""Customers as an ISP works with them, on real Postgres: details and addresses, search and
filters, the status lifecycle and its history, notes, tags, the cap, CSV export, and what bad
or hostile input gets."""

import asyncio
import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tenant_api.customers import service
from tenant_api.customers.counts import CountAnnouncer
from tenant_api.customers.schemas import CustomerCreate
from tenant_api.customers.service import Cap
from tenant_api.identity.auth.roles import Role
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import Customer, CustomerCountDue, CustomerStatusChange, messaging

pytestmark = pytest.mark.integration

ADDRESS = {
    "line1": "1208 Maple Street",
    "city": "Springfield",
    "region": "OR",
    "postal_code": "97477",
    "country": "us",
}


async def add(isp, **fields):
    response = await isp.client.post("/api/v1/customers", json=fields, headers=isp.owner)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_customer_keeps_addresses_tags_and_details_and_patch_changes_only_what_is_sent(
    business_isp,
):
    isp = await business_isp()
    created = await add(
        isp,
        name="Maria Alvarez",
        email="Maria.Alvarez@Example.NET",
        phone="+15415550123",
        contact_address=ADDRESS,
        tags=["Fiber", "autopay", "fiber"],
    )
    assert created["account_number"] == "C0000001"
    assert created["email"] == "maria.alvarez@example.net"
    assert created["contact_address"]["country"] == "US"
    assert created["tags"] == ["fiber", "autopay"]
    assert (created["status"], created["kind"], created["service_address"]) == (
        "lead",
        "residential",
        None,
    )

    path = f"/api/v1/customers/{created['id']}"
    service_at = {**ADDRESS, "line1": "88 Mill Road", "line2": "Unit 4"}
    patched = await isp.client.patch(
        path, json={"service_address": service_at, "phone": None}, headers=isp.owner
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["service_address"]["line2"] == "Unit 4" and after["phone"] is None
    assert after["name"] == "Maria Alvarez" and after["tags"] == ["fiber", "autopay"]
    assert after["updated_at"] > created["updated_at"]
    assert (await isp.client.get(path, headers=isp.as_(Role.READ_ONLY))).json() == after

    cleared = await isp.client.patch(path, json={"name": None}, headers=isp.owner)
    assert cleared.status_code == 422
    read_only = await isp.client.patch(path, json={"name": "X"}, headers=isp.as_(Role.READ_ONLY))
    assert read_only.status_code == 403
    assert (await isp.client.get(path, headers=isp.owner)).json() == after


async def test_search_finds_by_name_email_phone_address_and_account_number_and_filters_combine(
    business_isp,
):
    isp = await business_isp()
    maria = await add(
        isp, name="Maria Alvarez", email="maria@example.net", tags=["vip"], status="active"
    )
    await add(isp, name="Tom Becker", phone="+15415550188", contact_address=ADDRESS)
    await add(isp, name="Alvarez Farms LLC", kind="business", tags=["vip", "business"])
    await add(isp, name="50% Off_Wireless", email="deals@example.org")

    async def names(**params) -> list[str]:
        response = await isp.client.get("/api/v1/customers", params=params, headers=isp.owner)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert await names(q="alvarez") == ["Maria Alvarez", "Alvarez Farms LLC"]
    assert await names(q="MARIA@EXAMPLE") == ["Maria Alvarez"]
    assert await names(q="5550188") == ["Tom Becker"]
    assert await names(q="maple street") == ["Tom Becker"]
    assert await names(q=maria["account_number"]) == ["Maria Alvarez"]
    assert await names(q="50%") == ["50% Off_Wireless"], "% is a character, not a wildcard"
    assert await names(q="f_w") == ["50% Off_Wireless"], "_ too"
    assert await names(q="nobody") == []
    assert await names(q="alvarez", kind="business") == ["Alvarez Farms LLC"]
    assert await names(tag="vip", status="active") == ["Maria Alvarez"]
    assert await names(tag=["vip", "business"]) == ["Alvarez Farms LLC"]
    assert await names(status=["lead"], sort="name") == [
        "50% Off_Wireless",
        "Alvarez Farms LLC",
        "Tom Becker",
    ]
    assert await names(sort="-created_at", limit=2) == ["50% Off_Wireless", "Alvarez Farms LLC"]

    page = (
        await isp.client.get(
            "/api/v1/customers", params={"limit": 2, "offset": 2}, headers=isp.owner
        )
    ).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (4, 2, 2, 2)
    beyond = (
        await isp.client.get("/api/v1/customers", params={"offset": 10}, headers=isp.owner)
    ).json()
    assert (beyond["items"], beyond["total"]) == ([], 4)


async def test_status_moves_along_the_lifecycle_with_reasons_and_keeps_its_history(
    business_isp,
):
    isp = await business_isp()
    customer = await add(isp, name="Ann Lee")
    path = f"/api/v1/customers/{customer['id']}/status"

    async def move(status, reason=None, role=Role.SUPPORT):
        body = {"status": status, **({"reason": reason} if reason else {})}
        return await isp.client.post(path, json=body, headers=isp.as_(role))

    assert (await move("active")).json()["status"] == "active"
    no_reason = await move("suspended")
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    suspended = (await move("suspended", "Payment overdue 45 days")).json()
    assert (suspended["status"], suspended["status_reason"]) == (
        "suspended",
        "Payment overdue 45 days",
    )
    assert (await move("suspended", "again")).json()["status_reason"] == "Payment overdue 45 days"
    back = await move("lead")
    assert back.status_code == 409 and back.json()["allowed"] == ["active", "cancelled"]
    assert (await move("active")).status_code == 200
    assert (await move("cancelled", "Moved out of the service area")).status_code == 200
    final = await move("active")
    assert final.status_code == 409 and final.json()["allowed"] == []
    assert (await move("active", role=Role.READ_ONLY)).status_code == 403

    history = (
        await isp.client.get(
            f"/api/v1/customers/{customer['id']}/status-history", headers=isp.owner
        )
    ).json()["changes"]
    assert [(c["from_status"], c["to_status"]) for c in history] == [
        (None, "lead"),
        ("lead", "active"),
        ("active", "suspended"),
        ("suspended", "active"),
        ("active", "cancelled"),
    ]
    support = f"user:{isp.user_ids[Role.SUPPORT]}"
    assert history[2]["reason"] == "Payment overdue 45 days"
    assert {c["changed_by"] for c in history[1:]} == {support}


async def test_the_platform_hears_of_each_customer_created_or_moved_and_of_nothing_refused(
    business_isp,
):
    isp = await business_isp()
    maria = await add(isp, name="Maria Alvarez", email="Maria@Example.NET", status="active")
    refused = await isp.client.post(
        "/api/v1/customers", json={"name": "Tom", "status": "cancelled"}, headers=isp.owner
    )
    assert refused.status_code == 422
    path = f"/api/v1/customers/{maria['id']}/status"
    support = isp.as_(Role.SUPPORT)
    no_reason = await isp.client.post(path, json={"status": "suspended"}, headers=support)
    assert no_reason.status_code == 422
    body = {"status": "suspended", "reason": "Payment overdue 45 days"}
    assert (await isp.client.post(path, json=body, headers=support)).status_code == 200
    repeat = await isp.client.post(path, json=body, headers=support)  # changes nothing
    assert repeat.status_code == 200
    back = await isp.client.post(path, json={"status": "lead"}, headers=support)
    assert back.status_code == 409

    (created,) = await isp.published("dotmac.tenant.customer.created.v1")
    assert datetime.fromisoformat(created.pop("created_at")) == datetime.fromisoformat(
        maria["created_at"]
    )
    assert created == {
        "isp_id": str(isp.id),
        "customer_id": maria["id"],
        "account_number": maria["account_number"],
        "name": "Maria Alvarez",
        "email": "maria@example.net",
        "status": "active",
        "by": f"user:{isp.user_ids[Role.OWNER]}",
    }
    (moved,) = await isp.published("dotmac.tenant.customer.status_changed.v1")
    assert moved.pop("changed_at")
    assert moved == {
        "isp_id": str(isp.id),
        "customer_id": maria["id"],
        "previous": "active",
        "status": "suspended",
        "reason": "Payment overdue 45 days",
        "by": f"user:{isp.user_ids[Role.SUPPORT]}",
    }


async def test_a_change_that_rolls_back_publishes_nothing(business_isp):
    """The events are staged in the change's own transaction: a request that fails after the
    change (here, after the customer was created and its events staged) leaves nothing."""
    isp = await business_isp()
    runtime = isp.app.runtime

    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        async with runtime.db.unit_of_work(tenant=isp.id) as session:
            work = UnitOfWork(session, isp.id, isp.app.bus, datetime.now(UTC))
            spec = CustomerCreate(name="Ann Lee")
            cap = Cap(tier="enterprise", customers=None)
            await service.create_customer(work, spec, cap=cap, by="user:x")
            staged = await session.scalar(
                select(func.count())
                .select_from(messaging.outbox)
                .where(messaging.outbox.c.ce_subject == str(isp.id))
            )
            assert staged == 1  # the customer created
            assert (await session.get(CustomerCountDue, isp.id)).customers == 1
            raise Failed
    assert await isp.published("dotmac.tenant.customer.created.v1") == []
    assert await isp.recorded_count() is None


async def test_cancelled_customers_free_their_place_under_the_cap_and_numbers_are_not_reused(
    business_isp,
):
    isp = await business_isp(tier="free", cap=2)
    first = await add(isp, name="One")
    await add(isp, name="Two")
    full = await isp.client.post("/api/v1/customers", json={"name": "Three"}, headers=isp.owner)
    assert full.status_code == 403 and full.json()["customer_cap"] == 2
    await isp.client.post(
        f"/api/v1/customers/{first['id']}/status",
        json={"status": "cancelled", "reason": "Never connected"},
        headers=isp.owner,
    )
    third = await add(isp, name="Three")
    assert third["account_number"] == "C0000003"
    own = await isp.client.post(
        "/api/v1/customers",
        json={"name": "Four", "account_number": "C0000003"},
        headers=isp.owner,
    )
    assert own.status_code == 403, "the cap is checked first"

    # Created 1, 2; cancelled: 1; created: 2. The announcer (every 2 s) may have announced
    # any of these meanwhile; the last it announces is 2.
    assert await isp.recorded_count() in ((2, True), (2, False))
    await CountAnnouncer(isp.app.runtime.outbox).tick(isp.app.runtime)
    assert await isp.recorded_count() == (2, False)
    announced = await isp.announced_counts()
    assert announced[-1] == 2 and set(announced) <= {1, 2}


async def test_own_account_numbers_are_kept_and_generated_ones_step_around_them(business_isp):
    isp = await business_isp()
    await add(isp, name="Imported", account_number="C0000002")
    taken = await isp.client.post(
        "/api/v1/customers",
        json={"name": "Again", "account_number": "C0000002"},
        headers=isp.owner,
    )
    assert taken.status_code == 409 and taken.json()["account_number"] == "C0000002"
    assert (await add(isp, name="First"))["account_number"] == "C0000001"
    assert (await add(isp, name="Next"))["account_number"] == "C0000003"


async def test_notes_are_kept_newest_first_with_their_author(business_isp):
    isp = await business_isp()
    customer = await add(isp, name="Ann Lee")
    path = f"/api/v1/customers/{customer['id']}/notes"
    for body in ("Called about slow evenings.", "Line 1\nLine 2\tindented"):
        response = await isp.client.post(path, json={"body": body}, headers=isp.as_(Role.SUPPORT))
        assert response.status_code == 201, response.text
    notes = (await isp.client.get(path, headers=isp.as_(Role.READ_ONLY))).json()["notes"]
    assert [n["body"] for n in notes] == ["Line 1\nLine 2\tindented", "Called about slow evenings."]
    assert notes[0]["author"] == f"user:{isp.user_ids[Role.SUPPORT]}"
    for bad in ({"body": ""}, {"body": "x" * 5001}, {"body": "bell\x07"}, {}):
        assert (await isp.client.post(path, json=bad, headers=isp.owner)).status_code == 422


async def test_resellers_are_customers_of_kind_reseller(business_isp):
    isp = await business_isp()
    reseller = await add(isp, name="Valley Net Partners", kind="reseller")
    plain = await add(isp, name="Plain Person")
    sold = await add(isp, name="Sold Through", reseller_id=reseller["id"])
    listed = (
        await isp.client.get(
            "/api/v1/customers", params={"reseller_id": reseller["id"]}, headers=isp.owner
        )
    ).json()
    assert [c["id"] for c in listed["items"]] == [sold["id"]]
    not_a_reseller = await isp.client.post(
        "/api/v1/customers", json={"name": "X", "reseller_id": plain["id"]}, headers=isp.owner
    )
    assert not_a_reseller.status_code == 422 and not_a_reseller.json()["field"] == "reseller_id"
    itself = await isp.client.patch(
        f"/api/v1/customers/{reseller['id']}",
        json={"reseller_id": reseller["id"]},
        headers=isp.owner,
    )
    assert itself.status_code == 422


async def test_csv_export_has_every_matching_row_and_defuses_formulas(business_isp):
    isp = await business_isp()
    await add(isp, name='=HYPERLINK("http://evil.example")', phone="+15415550100")
    await add(isp, name="Plain Person", contact_address=ADDRESS, tags=["a", "b"])
    for n in range(3):
        await add(isp, name=f"Extra {n}", status="active")
    exported = await isp.client.get(
        "/api/v1/customers",
        params={"status": "lead", "limit": 1},
        headers={**isp.owner, "Accept": "text/csv"},
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "customers.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 2, "every matching row, not one page"
    by_name = {r["name"]: r for r in rows}
    assert '\'=HYPERLINK("http://evil.example")' in by_name
    assert by_name['\'=HYPERLINK("http://evil.example")']["phone"] == "+15415550100"
    assert by_name["Plain Person"]["contact_address.city"] == "Springfield"
    assert by_name["Plain Person"]["tags"] == "a; b"

    free = await business_isp(tier="free", plugins=("customer_management", "user_auth"))
    refused = await free.client.get(
        "/api/v1/customers", headers={**free.owner, "Accept": "text/csv"}
    )
    assert refused.status_code == 403 and refused.json()["plugin"] == "basic_reporting"
    assert (await free.client.get("/api/v1/customers", headers=free.owner)).status_code == 200


HOSTILE = [
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE tenant_data.customers;--",
    "' OR '1'='1",
    "Zoë Ñúñez 山田",
]


@pytest.mark.parametrize("name", HOSTILE)
async def test_script_and_sql_like_names_are_stored_and_returned_as_plain_text(business_isp, name):
    isp = await business_isp()
    created = await add(isp, name=name)
    assert created["name"] == name
    found = (
        await isp.client.get("/api/v1/customers", params={"q": name}, headers=isp.owner)
    ).json()
    assert [c["id"] for c in found["items"]] == [created["id"]]
    async with isp.app.runtime.db.unit_of_work() as session:
        assert await session.scalar(text("SELECT to_regclass('tenant_data.customers')"))


BAD_CREATES = [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": 5},
    {"name": "Ann", "email": "not-an-email"},
    {"name": "Ann", "phone": "555-0100"},
    {"name": "Ann", "status": "suspended"},
    {"name": "Ann", "status": "bogus"},
    {"name": "Ann", "kind": "alien"},
    {"name": "Ann", "tags": ["ok", "NOT OK!"]},
    {"name": "Ann", "tags": [f"t{n}" for n in range(21)]},
    {
        "name": "Ann",
        "contact_address": {"line1": "x", "city": "y", "postal_code": "1", "country": "US"},
    },
    {"name": "Ann", "contact_address": {**ADDRESS, "country": "USA"}},
    {"name": "Ann", "contact_address": {**ADDRESS, "planet": "Mars"}},
    {"name": "Ann", "reseller_id": "not-a-uuid"},
    {"name": "Ann", "account_number": "has spaces"},
    {"name": "Ann\u0000"},
    {"name": "Ann", "is_admin": True},
]


@pytest.mark.parametrize("body", BAD_CREATES)
async def test_bad_customers_are_refused_with_a_problem_and_nothing_is_stored(business_isp, body):
    isp = await business_isp()
    response = await isp.client.post("/api/v1/customers", json=body, headers=isp.owner)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        assert (await session.execute(select(Customer))).first() is None
        assert (await session.execute(select(CustomerStatusChange))).first() is None


async def test_malformed_queries_and_bodies_are_4xx(business_isp):
    isp = await business_isp()
    customer = await add(isp, name="Ann")
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"status": "gone"},
        {"sort": "password"},
        {"q": "x" * 101},
        {"created_from": "yesterday"},
        {"reseller_id": "1"},
    ):
        response = await isp.client.get("/api/v1/customers", params=params, headers=isp.owner)
        assert response.status_code == 422, (params, response.text)
    broken = await isp.client.post(
        "/api/v1/customers",
        content=b'{"name": "Ann"',
        headers={**isp.owner, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    patched = await isp.client.patch(
        f"/api/v1/customers/{customer['id']}",
        content=b"[]",
        headers={**isp.owner, "Content-Type": "application/json"},
    )
    assert patched.status_code == 422
    assert (
        await isp.client.get("/api/v1/customers/not-a-uuid", headers=isp.owner)
    ).status_code == 422


async def test_count_changes_are_announced_together_once_each_the_latest_count_of_each_isp(
    start_tenant_api, isp_on, business_token, monkeypatch
):
    """Counts are recorded as they change and announced in batches: one `CustomersCounted`
    carries every ISP whose count changed since the last, with its latest count, once."""

    async def announced_by_hand(self: CountAnnouncer, runtime: object) -> None:
        await asyncio.Event().wait()

    # The app's own announcer stays idle: it looks once as it starts, and on a busy machine
    # that look came after this test's first changes and announced them.
    monkeypatch.setattr(CountAnnouncer, "run", announced_by_hand)
    async with start_tenant_api(internal_token=business_token, smtp_port=9) as (app, client):
        a, b = await isp_on(app, client), await isp_on(app, client)
        announcer = CountAnnouncer(app.runtime.outbox)
        await announcer.tick(app.runtime)  # what other tests left due
        first = [await add(a, name=f"A {i}") for i in range(3)]
        await add(b, name="B 1")
        cancelled = await a.client.post(
            f"/api/v1/customers/{first[0]['id']}/status",
            json={"status": "cancelled", "reason": "Moved away"},
            headers=a.owner,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert (await a.recorded_count(), await b.recorded_count()) == ((2, True), (1, True))
        assert (await a.announced_counts(), await b.announced_counts()) == ([], [])

        assert await announcer.tick(app.runtime) >= 2
        assert (await a.announced_counts(), await b.announced_counts()) == ([2], [1])
        assert (await a.recorded_count(), await b.recorded_count()) == ((2, False), (1, False))
        async with app.runtime.db.unit_of_work() as session:
            last = await session.scalar(
                select(messaging.outbox.c.data)
                .where(messaging.outbox.c.subject == "dotmac.tenant.customers.counted.v2")
                .order_by(messaging.outbox.c.id.desc())
                .limit(1)
            )
        assert {c["isp_id"] for c in json.loads(last)["counts"]} >= {str(a.id), str(b.id)}

        assert await announcer.tick(app.runtime) == 0, "nothing changed: nothing announced"
        await add(b, name="B 2")
        await announcer.tick(app.runtime)
        assert (await a.announced_counts(), await b.announced_counts()) == ([2], [1, 2])
