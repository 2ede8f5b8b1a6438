"""Invoice documents on real Postgres: the PDF of an invoice and a credit note read back as text,
the ISP's branding on white_label (hostile logos refused), invoices mailed once when issued with
the PDF attached (a real SMTP server receives them), the statement of account, and CSV of the
billing lists that answer whole."""

import asyncio
import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import update

from devstack.ports import free_port
from tenant_api.identity.auth.roles import Role
from tenant_api.models import CustomerStatusChange

pytestmark = pytest.mark.integration

BASIC = ("customer_management", "basic_billing", "user_auth", "basic_reporting")
NO_WHITE_LABEL = (*BASIC, "automated_billing", "email_notifications")
ADDRESS = {"line1": "12 Rue Haute", "city": "Liège", "postal_code": "4000", "country": "BE"}


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def png(width: int = 120, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 125, 79)).save(out, format="PNG")
    return out.getvalue()


async def post(isp, path, body, expect=201, role=Role.OWNER, **headers):
    response = await isp.client.post(path, json=body, headers={**isp.as_(role), **headers})
    assert response.status_code == expect, f"{path}: {response.text}"
    return response.json()


async def issued_invoice(isp, customer_email="zoe@example.net"):
    vat = await post(isp, "/api/v1/billing/tax-rates", {"name": "TVA", "basis_points": 2100})
    settings = {"currency": "EUR", "tax_rate_id": vat["id"], "payment_terms_days": 30}
    assert (
        await isp.client.put("/api/v1/billing/settings", json=settings, headers=isp.owner)
    ).status_code == 200
    customer = await post(
        isp,
        "/api/v1/customers",
        {"name": "Zoë Łukasiewicz", "email": customer_email, "contact_address": ADDRESS},
    )
    invoice = await post(
        isp,
        "/api/v1/invoices",
        {
            "customer_id": customer["id"],
            "issue": True,
            "lines": [
                {"description": "Router installation", "unit_amount": 5000},
                {"description": "Cable", "quantity": 3, "unit_amount": 1000, "discount": 500},
            ],
        },
    )
    return customer, invoice


async def test_the_invoice_pdf_carries_both_parties_lines_tax_totals_and_terms(business_isp):
    isp = await business_isp(plugins=NO_WHITE_LABEL)
    issuer = {
        "legal_name": "Ardennes Fibre SRL",
        "address": "Rue du Parc 3\n5000 Namur",
        "tax_number": "BE0123456789",
    }
    put = await isp.client.put("/api/v1/billing/issuer", json=issuer, headers=isp.owner)
    assert put.status_code == 200, put.text
    _, invoice = await issued_invoice(isp)
    # 5000 + 2500 = 7500 net; 21% = 1575; total 9075
    assert invoice["total"] == 9075
    await post(
        isp,
        f"/api/v1/invoices/{invoice['id']}/payments",
        {"amount": 2000, "method": "bank_transfer"},
    )

    response = await isp.client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=isp.owner)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert invoice["number"] in response.headers["content-disposition"]
    text = text_of(response.content)
    for expected in (
        "Ardennes Fibre SRL",
        "Rue du Parc 3",
        "5000 Namur",
        "BE0123456789",
        "Zoë Łukasiewicz",
        "12 Rue Haute",
        "4000 Liège",
        invoice["number"],
        "Router installation",
        "Cable",
        "50.00 EUR",
        "Tax 21.00% on 75.00 EUR 15.75 EUR",
        "Total 90.75 EUR",
        "Amount paid 20.00 EUR",
        "Amount due 70.75 EUR",
        "within 30 days",
    ):
        assert expected in text, f"{expected!r} not in the PDF:\n{text}"

    note = await post(
        isp,
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        {
            "reason": "Outage on 3 May",
            "lines": [{"line_id": invoice["lines"][0]["id"], "amount": 1000}],
        },
    )
    credit = await isp.client.get(f"/api/v1/invoices/{note['id']}/pdf", headers=isp.owner)
    text = text_of(credit.content)
    assert "Credit note" in text and note["number"] in text and invoice["number"] in text
    assert "Outage on 3 May" in text

    # Read-only roles may read it; another ISP's id, or none, is not found.
    assert (
        await isp.client.get(
            f"/api/v1/invoices/{invoice['id']}/pdf", headers=isp.as_(Role.READ_ONLY)
        )
    ).status_code == 200
    other = await business_isp(plugins=NO_WHITE_LABEL)
    assert (
        await other.client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=other.owner)
    ).status_code == 404

    # Without white_label the branding is refused, naming the plugin; nothing changes.
    refused = await isp.client.put(
        "/api/v1/billing/branding", json={"display_name": "Shiny"}, headers=isp.owner
    )
    assert refused.status_code == 403 and "white_label" in refused.text
    shown = (await isp.client.get("/api/v1/billing/branding", headers=isp.owner)).json()
    assert shown["display_name"] is None and shown["white_label"] is False


async def test_white_label_branding_is_on_the_pdf_and_hostile_logos_are_refused(business_isp):
    isp = await business_isp()  # enterprise: white_label
    _, invoice = await issued_invoice(isp)
    for bad in ({"accent_colour": "red"}, {"accent_colour": "#12345g"}, {"footer": "x" * 301}):
        response = await isp.client.put("/api/v1/billing/branding", json=bad, headers=isp.owner)
        assert response.status_code == 422, response.text
    branding = {
        "display_name": "Ardennes Fibre",
        "accent_colour": "#0A7D4F",
        "footer": "Questions? billing@ardennes.example",
    }
    put = await isp.client.put("/api/v1/billing/branding", json=branding, headers=isp.owner)
    assert put.status_code == 200 and put.json()["accent_colour"] == "#0a7d4f", put.text
    assert (
        await isp.client.put(
            "/api/v1/billing/branding", json=branding, headers=isp.as_(Role.SUPPORT)
        )
    ).status_code == 403

    logo = "/api/v1/billing/branding/logo"
    hostile = [
        (b"GIF89a not a png", "image/png", 422),
        (png()[:60], "image/png", 422),  # truncated
        (png(), "image/jpeg", 422),  # says JPEG, is PNG
        (png(4000, 10), "image/png", 422),  # too wide
        (png(), "image/gif", 415),
        (b"<svg onload=alert(1)>", "image/svg+xml", 415),
        (b"\x89PNG" + b"\0" * (600 * 1024), "image/png", 413),
    ]
    for content, media_type, status in hostile:
        response = await isp.client.put(
            logo, content=content, headers={**isp.owner, "Content-Type": media_type}
        )
        assert response.status_code == status, (media_type, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await isp.client.get("/api/v1/billing/branding", headers=isp.owner)).json()[
        "logo_media_type"
    ] is None, "nothing refused was kept"
    stored = await isp.client.put(
        logo, content=png(), headers={**isp.owner, "Content-Type": "image/png"}
    )
    assert stored.status_code == 200 and stored.json()["logo_media_type"] == "image/png"

    response = await isp.client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=isp.owner)
    text = text_of(response.content)
    assert "Ardennes Fibre" in text and "Questions? billing@ardennes.example" in text
    assert len(PdfReader(io.BytesIO(response.content)).pages[0].images) == 1, "the logo"
    assert (await isp.client.delete(logo, headers=isp.owner)).status_code == 200
    response = await isp.client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=isp.owner)
    assert not PdfReader(io.BytesIO(response.content)).pages[0].images


async def test_the_statement_lists_the_account_in_date_order_with_running_balances(business_isp):
    isp = await business_isp(plugins=NO_WHITE_LABEL)
    customer, invoice = await issued_invoice(isp)
    second = await post(
        isp,
        "/api/v1/invoices",
        {
            "customer_id": customer["id"],
            "issue": True,
            "lines": [{"description": "Modem", "unit_amount": 1000, "tax_rate_id": None}],
        },
    )
    await post(
        isp, f"/api/v1/invoices/{invoice['id']}/payments", {"amount": 5000, "method": "cash"}
    )
    note = await post(
        isp,
        f"/api/v1/invoices/{second['id']}/credit-notes",
        {"reason": "Goodwill", "lines": [{"line_id": second["lines"][0]["id"], "amount": 500}]},
    )
    path = f"/api/v1/customers/{customer['id']}/statement"
    statement = (await isp.client.get(path, headers=isp.owner)).json()
    assert statement["opening_balance"] == 0
    kinds = [(e["kind"], e["debit"], e["credit"]) for e in statement["entries"]]
    assert kinds == [
        ("invoice", 9075, 0),
        ("invoice", second["total"], 0),
        ("credit_note", 0, note["total"]),
        ("payment", 0, 5000),
    ]
    balances = [e["balance"] for e in statement["entries"]]
    assert balances[-1] == statement["closing_balance"] == 9075 + second["total"] - 605 - 5000
    assert balances == [
        9075,
        9075 + second["total"],
        9075 + second["total"] - 605,
        9075 + second["total"] - 605 - 5000,
    ]
    open_invoices = (await isp.client.get("/api/v1/invoices", headers=isp.owner)).json()["items"]
    assert statement["closing_balance"] == sum(i["balance_due"] for i in open_invoices)

    today = statement["date_to"]
    later = (
        await isp.client.get(
            path, params={"from": "2099-01-01", "to": "2099-01-31"}, headers=isp.owner
        )
    ).json()
    assert later["opening_balance"] == statement["closing_balance"] and later["entries"] == []
    bad = await isp.client.get(path, params={"from": today, "to": "2000-01-01"}, headers=isp.owner)
    assert bad.status_code == 422
    assert (
        await isp.client.get(path, params={"from": "not a day"}, headers=isp.owner)
    ).status_code == 422

    as_csv = await isp.client.get(path, headers={**isp.owner, "Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["kind"] for r in rows] == [
        "opening_balance",
        "invoice",
        "invoice",
        "credit_note",
        "payment",
        "closing_balance",
    ]
    assert rows[-1]["balance"] == str(statement["closing_balance"])

    as_pdf = await isp.client.get(path, headers={**isp.owner, "Accept": "application/pdf"})
    assert as_pdf.headers["content-type"] == "application/pdf"
    text = text_of(as_pdf.content)
    assert "Statement" in text and invoice["number"] in text and "Zoë Łukasiewicz" in text
    assert "Closing balance" in text

    other = await business_isp(plugins=NO_WHITE_LABEL)
    assert (await other.client.get(path, headers=other.owner)).status_code == 404
    free = await business_isp(plugins=("customer_management", "user_auth"))
    assert (await free.client.get(path, headers=free.owner)).status_code == 403


async def test_the_billing_lists_answered_whole_export_csv(business_isp):
    isp = await business_isp()
    customer, _ = await issued_invoice(isp)
    hold = await post(
        isp,
        f"/api/v1/customers/{customer['id']}/holds",
        {"starts_on": "2026-07-01", "ends_on": "2026-07-15", "reason": "=cmd|' /C calc'!A0"},
    )
    for path, expected in (
        ("/api/v1/billing/tax-rates", "TVA"),
        (f"/api/v1/customers/{customer['id']}/holds", hold["id"]),
        (f"/api/v1/customers/{customer['id']}/subscriptions", ""),  # none: an empty file
    ):
        response = await isp.client.get(path, headers={**isp.owner, "Accept": "text/csv"})
        assert response.status_code == 200, f"{path}: {response.text}"
        assert response.headers["content-type"].startswith("text/csv")
        assert expected in response.text
    holds = await isp.client.get(
        f"/api/v1/customers/{customer['id']}/holds", headers={**isp.owner, "Accept": "text/csv"}
    )
    assert "'=cmd" in holds.text, "a formula is defused"
    basic = await business_isp(plugins=("customer_management", "basic_billing", "user_auth"))
    refused = await basic.client.get(
        "/api/v1/billing/tax-rates", headers={**basic.owner, "Accept": "text/csv"}
    )
    assert refused.status_code == 403 and "basic_reporting" in refused.text


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
async def mailing_api(start_tenant_api, smtp, business_token):
    port, inbox = smtp
    async with start_tenant_api(internal_token=business_token, smtp_port=port) as (app, client):
        yield app, client, inbox


async def mails_to(inbox, address, count, wait=60.0):
    """The mails to `address` once `count` have come (or `wait` has passed). The mailer works
    for every ISP in the database, and the session's database holds other modules' issued
    invoices: on a busy machine it may mail a backlog of theirs first."""
    for _ in range(int(wait / 0.05)):
        if len([m for m in inbox.messages if m["To"] == address]) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # and nothing more comes
    return [m for m in inbox.messages if m["To"] == address]


async def test_an_issued_invoice_is_mailed_once_with_its_pdf_and_again_on_request(
    mailing_api, isp_on
):
    app, client, inbox = mailing_api
    isp = await isp_on(app, client)
    address = f"zoe@{isp.slug}.example"
    _, invoice = await issued_invoice(isp, customer_email=address)
    mine = await mails_to(inbox, address, 1)
    assert len(mine) == 1, "mailed when issued"
    mail = mine[0]
    assert invoice["number"] in mail["Subject"]
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert "90.75 EUR" in body.get_payload(decode=True).decode()
    attached = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
    assert len(attached) == 1 and attached[0].get_filename() == f"invoice-{invoice['number']}.pdf"
    assert invoice["number"] in text_of(attached[0].get_payload(decode=True))

    again = await isp.client.post(
        f"/api/v1/invoices/{invoice['id']}/issue", json={}, headers=isp.owner
    )
    assert again.status_code == 409
    for _ in range(2):  # the same request twice: mailed once
        sent = await post(
            isp,
            f"/api/v1/invoices/{invoice['id']}/send",
            {},
            expect=202,
            **{"Idempotency-Key": "r1"},
        )
        assert sent["to_address"] == address and sent["outcome"] == "sent"
    assert len(await mails_to(inbox, address, 2)) == 2

    history = (
        await isp.client.get(f"/api/v1/invoices/{invoice['id']}/mailings", headers=isp.owner)
    ).json()["mailings"]
    as_csv = await isp.client.get(
        f"/api/v1/invoices/{invoice['id']}/mailings", headers={**isp.owner, "Accept": "text/csv"}
    )
    assert as_csv.text.count(address) == 2
    assert [(m["reason"], m["outcome"]) for m in history] == [
        ("issued", "sent"),
        ("requested", "sent"),
    ]

    nobody = await post(isp, "/api/v1/customers", {"name": "No Mail"})
    draft = await post(
        isp,
        "/api/v1/invoices",
        {"customer_id": nobody["id"], "lines": [{"description": "X", "unit_amount": 100}]},
    )
    assert (
        await isp.client.post(f"/api/v1/invoices/{draft['id']}/send", json={}, headers=isp.owner)
    ).status_code == 409
    await post(isp, f"/api/v1/invoices/{draft['id']}/issue", {}, expect=200)
    refused = await isp.client.post(
        f"/api/v1/invoices/{draft['id']}/send", json={}, headers=isp.owner
    )
    assert refused.status_code == 422 and "e-mail" in refused.text

    # A bill run's invoices are mailed once each; a re-run of the period mails nothing more.
    first_of_month = date.today().replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=1)
    plan = await post(
        isp,
        "/api/v1/plans",
        {
            "name": "Fiber 100",
            "download_mbps": 100,
            "upload_mbps": 100,
            "price": "39.00",
            "currency": "EUR",
        },
    )
    runner = f"runner@{isp.slug}.example"
    subscriber = await post(
        isp, "/api/v1/customers", {"name": "Run Ner", "email": runner, "status": "active"}
    )
    async with app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            update(CustomerStatusChange)
            .where(CustomerStatusChange.customer_id == subscriber["id"])
            .values(changed_at=datetime.combine(last_month, time(), UTC) - timedelta(days=30))
        )
    await post(
        isp,
        f"/api/v1/customers/{subscriber['id']}/subscriptions",
        {"plan_id": plan["id"], "starts_on": last_month.isoformat()},
    )
    runs = [await post(isp, "/api/v1/bill-runs", {"period": f"{last_month:%Y-%m}"}) for _ in "12"]
    assert [r["invoices_created"] for r in runs] == [1, 0]
    billed = await mails_to(inbox, runner, 1)
    listed = await isp.client.get(
        "/api/v1/invoices", params={"bill_run_id": runs[0]["id"]}, headers=isp.owner
    )
    mailings = await isp.client.get(
        f"/api/v1/invoices/{listed.json()['items'][0]['id']}/mailings", headers=isp.owner
    )
    assert len(billed) == 1 and "Invoice" in billed[0]["Subject"], mailings.text

    # Without automated_billing nothing is mailed, and sending is refused naming the plugin.
    basic = await isp_on(app, client, plugins=BASIC)
    quiet = f"quiet@{basic.slug}.example"
    _, unmailed = await issued_invoice(basic, customer_email=quiet)
    assert await mails_to(inbox, quiet, 1, wait=1.5) == []
    refused = await basic.client.post(
        f"/api/v1/invoices/{unmailed['id']}/send", json={}, headers=basic.owner
    )
    assert refused.status_code == 403 and "automated_billing" in refused.text
