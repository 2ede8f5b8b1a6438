"""Importing customers from a CSV on real Postgres: the dry run's mapping, per-row errors and
duplicates; remapping; an all-or-nothing commit with plans; 10,000 rows; hostile files."""

import random

import pytest
from sqlalchemy import func, select

from tenant_api.identity.auth.roles import Role
from tenant_api.models import Customer, Subscription

pytestmark = pytest.mark.integration
CSV = {"Content-Type": "text/csv"}
IMPORTED = "dotmac.tenant.customers.imported.v1"
SHEET = (
    "Full Name,E-mail,Phone,Street,City,State,Zip,Plan,Start Date,Status,Notes\n"
    "Maria Alvarez,maria@example.net,(541) 555-0123,1208 Maple Street,Springfield,OR,97477,"
    "Fiber 100,2026-01-05,active,likes email\n"
    "Tom Becker,tom@example.net,541.555.0188,88 Mill Road,Eugene,OR,97401,,,lead,\n"
    "Valley Farms LLC,office@valleyfarms.example,+15415550100,4 Farm Lane,Coburg,OR,97408,"
    "fiber 100,,Active,\n"
)


async def upload(isp, content: str | bytes, role=Role.OWNER, **params):
    body = content.encode() if isinstance(content, str) else content
    return await isp.client.post(
        "/api/v1/customer-imports",
        content=body,
        params={"country": "US", **params},
        headers={**isp.as_(role), **CSV},
    )


async def with_plan(isp, name="Fiber 100"):
    response = await isp.client.post(
        "/api/v1/plans",
        json={"name": name, "download_mbps": 100, "upload_mbps": 20, "price": "39"},
        headers=isp.owner,
    )
    assert response.status_code == 201, response.text


async def per_customer_events(isp) -> int:
    """Events the import must not raise: one per customer or subscription."""
    subjects = (
        "dotmac.tenant.customer.created.v1",
        "dotmac.tenant.customer.status_changed.v1",
        "dotmac.tenant.subscription.changed.v1",
    )
    return sum([len(await isp.published(subject)) for subject in subjects])


async def stored(isp) -> int:
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        return await session.scalar(select(func.count()).select_from(Customer))


async def test_a_clean_sheet_is_mapped_checked_and_committed_with_its_plans(business_isp):
    isp = await business_isp()
    await with_plan(isp)
    dry = await upload(isp, SHEET, filename="crm-export.csv")
    assert dry.status_code == 201, dry.text
    report = dry.json()
    assert report["mapping"] == {
        "name": "Full Name",
        "email": "E-mail",
        "phone": "Phone",
        "status": "Status",
        "line1": "Street",
        "city": "City",
        "region": "State",
        "postal_code": "Zip",
        "plan": "Plan",
        "plan_start": "Start Date",
    }
    assert report["unmapped_columns"] == ["Notes"]
    assert (report["rows"], report["ready"], report["error_count"], report["duplicate_count"]) == (
        3,
        3,
        0,
        0,
    )
    assert await stored(isp) == 0, "a dry run imports nothing"

    committed = await isp.client.post(
        f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=isp.owner
    )
    assert committed.status_code == 200, committed.text
    assert (committed.json()["status"], committed.json()["created"]) == ("committed", 3)
    customers = (
        await isp.client.get("/api/v1/customers", params={"sort": "name"}, headers=isp.owner)
    ).json()["items"]
    maria = next(c for c in customers if c["name"] == "Maria Alvarez")
    assert (maria["phone"], maria["status"], maria["contact_address"]["country"]) == (
        "+15415550123",
        "active",
        "US",
    )
    assert maria["account_number"] == "C0000001"
    history = (
        await isp.client.get(f"/api/v1/customers/{maria['id']}/subscriptions", headers=isp.owner)
    ).json()["subscriptions"]
    assert [s["starts_on"] for s in history] == ["2026-01-05"]
    again = await isp.client.post(
        f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=isp.owner
    )
    assert again.status_code == 409 and await stored(isp) == 3

    (imported,) = await isp.published(IMPORTED)
    assert imported.pop("imported_at") == committed.json()["committed_at"]
    assert imported == {
        "isp_id": str(isp.id),
        "import_id": report["id"],
        "created": 3,
        "skipped": 0,
        "subscriptions": 2,
        "by": f"user:{isp.user_ids[Role.OWNER]}",
    }
    assert await per_customer_events(isp) == 0


async def test_rows_with_errors_are_reported_and_block_the_whole_commit(business_isp):
    isp = await business_isp()
    await with_plan(isp)
    sheet = (
        "Name,Email,Phone,Plan,Status,Account\n"
        "Good Person,good@example.net,5415550100,,lead,\n"
        ",nobody@example.net,,,,\n"
        "Bad Email,not-an-email,,,,\n"
        "Bad Plan,plan@example.net,,Gigabit Ultra,active,\n"
        "Lead On Plan,lead@example.net,,Fiber 100,lead,\n"
        "Odd Status,odd@example.net,,,dormant,\n"
        "Twice,twice@example.net,,,,A-1\n"
        "Twice Again,twice2@example.net,,,,A-1\n"
    )
    report = (await upload(isp, sheet)).json()
    errors = {(e["row"], e["field"]) for e in report["errors"]}
    assert errors == {
        (3, "name"),
        (4, "email"),
        (5, "plan"),
        (6, "plan"),
        (7, "status"),
        (9, "account_number"),
    }
    assert (report["ready"], report["error_count"]) == (2, 6)
    refused = await isp.client.post(
        f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=isp.owner
    )
    assert refused.status_code == 409 and refused.json()["error_count"] == 6
    assert await stored(isp) == 0, "never half-applied"
    assert await isp.published(IMPORTED) == []


async def test_duplicates_of_customers_and_of_earlier_rows_need_a_decision(business_isp):
    isp = await business_isp()
    existing = await isp.client.post(
        "/api/v1/customers",
        json={"name": "Maria Alvarez", "email": "maria@example.net"},
        headers=isp.owner,
    )
    sheet = (
        "Name,Email\n"
        "Maria A.,MARIA@example.net\n"
        "Sam Cole,sam@example.net\n"
        "Samuel Cole,sam@example.net\n"
        "New Person,new@example.net\n"
    )
    report = (await upload(isp, sheet)).json()
    assert [(d["row"], d["customer_id"], d["first_row"]) for d in report["duplicates"]] == [
        (2, existing.json()["id"], None),
        (4, None, 3),
    ]
    path = f"/api/v1/customer-imports/{report['id']}/commit"
    undecided = await isp.client.post(path, json={}, headers=isp.owner)
    assert undecided.status_code == 409 and undecided.json()["duplicate_count"] == 2
    assert (
        await isp.client.post(path, json={"on_duplicate": "maybe"}, headers=isp.owner)
    ).status_code == 422
    skipped = (await isp.client.post(path, json={"on_duplicate": "skip"}, headers=isp.owner)).json()
    assert (skipped["created"], skipped["skipped"]) == (2, 2)
    assert await stored(isp) == 3


async def test_remapping_fixes_what_the_headers_did_not_say(business_isp):
    isp = await business_isp()
    report = (await upload(isp, "Kunde;Mail;Ort\nAnna Schmidt;anna@example.de;Berlin\n")).json()
    assert report["mapping"] == {"email": "Mail"} and report["errors"][0]["field"] == "name"
    path = f"/api/v1/customer-imports/{report['id']}/mapping"
    for bad in (
        {"mapping": {"name": "Nope"}},
        {"mapping": {"shoe_size": "Kunde"}},
        {"mapping": {"name": "Kunde", "email": "Kunde"}},
        {"mapping": {"name": "Kunde"}, "default_country": "Germany"},
    ):
        assert (await isp.client.put(path, json=bad, headers=isp.owner)).status_code == 422, bad
    fixed = await isp.client.put(
        path,
        json={"mapping": {"name": "Kunde", "email": "Mail", "city": "Ort", "line1": "Ort"}},
        headers=isp.owner,
    )
    assert fixed.status_code == 422, "a column fills one field"
    fixed = await isp.client.put(
        path,
        json={"mapping": {"name": "Kunde", "email": "Mail"}, "default_country": "DE"},
        headers=isp.owner,
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["ready"], fixed.json()["default_country"]) == (1, "DE")
    read = await isp.client.get(f"/api/v1/customer-imports/{report['id']}", headers=isp.owner)
    assert read.json()["mapping"] == {"name": "Kunde", "email": "Mail"}


async def test_the_cap_refuses_the_whole_import(business_isp):
    isp = await business_isp(tier="free", cap=2)
    report = (await upload(isp, "Name\nOne\nTwo\nThree\n")).json()
    refused = await isp.client.post(
        f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=isp.owner
    )
    assert refused.status_code == 403 and refused.json()["customer_cap"] == 2
    assert await stored(isp) == 0


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"", 422),
        (b"Name\n", 422),
        (b"\xff\xfe\x00N\x00a\x00m\x00e", 422),
        (b"Name,Name\nA,B\n", 422),
        (b"Name,\nA,B\n", 422),
        (b'Name\n"unterminated\n', 201),
        (b"Name\n=cmd|' /C calc'!A0\n<script>alert(1)</script>\n", 201),
    ],
)
async def test_hostile_and_broken_files_are_answered_without_harm(business_isp, content, status):
    isp = await business_isp()
    response = await upload(isp, content)
    assert response.status_code == status, response.text
    assert await stored(isp) == 0


async def test_uploads_must_be_csv_and_within_their_size(business_isp):
    isp = await business_isp()
    as_json = await isp.client.post(
        "/api/v1/customer-imports", json={"name": "x"}, headers=isp.owner
    )
    assert as_json.status_code == 415
    huge = await isp.client.post(
        "/api/v1/customer-imports",
        content=b"Name\n" + b"x" * (21 * 1024 * 1024),
        headers={**isp.owner, **CSV},
    )
    assert huge.status_code == 413
    csv_elsewhere = await isp.client.post(
        "/api/v1/customers", content=b"Name\nA\n", headers={**isp.owner, **CSV}
    )
    assert csv_elsewhere.status_code == 415
    read_only = await upload(isp, SHEET, role=Role.READ_ONLY)
    assert read_only.status_code == 403


async def test_ten_thousand_rows_import_whole(business_isp):
    isp = await business_isp()
    await with_plan(isp)
    rng = random.Random(7)
    lines = ["Name,Email,Phone,Street,City,Zip,Plan"]
    for n in range(10_000):
        plan = "Fiber 100" if n % 3 else ""
        lines.append(
            f"Customer {rng.choice('ABCDEFG')}{n},c{n}@example.net,+1541555{n % 10000:04d},"
            f"{n} Main Street,Springfield,97477,{plan}"
        )
    report = (await upload(isp, "\n".join(lines))).json()
    assert (report["ready"], report["error_count"], report["duplicate_count"]) == (10_000, 0, 0)
    committed = await isp.client.post(
        f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=isp.owner
    )
    assert committed.status_code == 200 and committed.json()["created"] == 10_000
    assert await stored(isp) == 10_000
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        assert await session.scalar(select(func.count()).select_from(Subscription)) == 6_666
    # One event for the import, none per customer or subscription: loads stay bulk loads.
    (imported,) = await isp.published(IMPORTED)
    assert (imported["created"], imported["subscriptions"]) == (10_000, 6_666)
    assert await per_customer_events(isp) == 0
