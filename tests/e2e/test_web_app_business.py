"""An ISP's business in the web app, in Debian's headless Chromium through the gateway: its
plan catalogue, a customer's details edited and subscribed, the period previewed and billed, the
invoice paid, a one-off invoice voided; a person's role changed; and the owner's data export
and cancellation (retracted). Mistakes first, each answered next to its field or in an alert;
every page passes axe-core's WCAG 2.1 A/AA rules and is photographed."""

import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.browser import check_accessibility, report

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-browser-password"


async def accessible(page: Any) -> None:
    violations = await check_accessibility(page)
    assert violations == [], report(violations)


async def signed_in_isp(platform: Any, http: Any, page: Any, tier: str) -> tuple[Any, str]:
    owner = await platform.signed_in_owner(
        http, f"Biz Web {uuid.uuid4().hex[:6]}", tier=tier, password=PASSWORD
    )
    slug = owner.host["Host"].split(".", 1)[0]
    site = f"http://{slug}.localhost:{platform.gateway_port}"
    await page.goto(f"{site}/signin")
    await page.get_by_label("Email").fill(owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()
    return owner, site


async def test_an_isp_bills_a_customer_from_plan_to_paid_invoice(platform, http, page, screenshots):
    owner, site = await signed_in_isp(platform, http, page, "basic")
    made = await http.post(
        f"{platform.gateway_url}/api/v1/customers",
        json={"name": "Noor Haddad", "email": "noor@example.net", "status": "active"},
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text

    # billing settings: a 10% tax, the default
    await page.goto(f"{site}/billing")
    await page.get_by_label("Name", exact=True).fill("Sales tax")
    await page.get_by_label("Rate (%)").fill("10")
    await page.get_by_role("button", name="Add the rate").click()
    await page.get_by_text("Tax rate Sales tax added.").wait_for()
    await page.get_by_label("Default tax").select_option(label="Sales tax")
    await page.get_by_label("Billing day (1 to 28)").fill("31")  # out of range
    await page.get_by_role("button", name="Save the settings").click()
    await page.locator("#billing_day-error").wait_for()
    await accessible(page)
    await page.get_by_label("Billing day (1 to 28)").fill("1")
    await page.get_by_role("button", name="Save the settings").click()
    await page.get_by_text("Billing settings saved.").wait_for()
    await screenshots(page, "01-billing-settings")

    # a plan: a price that is not an amount first
    await page.get_by_role("link", name="Service plans").click()
    await page.get_by_label("Name").fill("Fiber 300")
    await page.get_by_label("Download speed (Mb/s)").fill("300")
    await page.get_by_label("Upload speed (Mb/s)").fill("100")
    await page.get_by_label(re.compile("^Price per cycle")).fill("forty")
    await page.get_by_role("button", name="Add the plan").click()
    await page.locator("#price-error").wait_for()
    assert await page.get_by_label("Name").input_value() == "Fiber 300"  # kept
    await accessible(page)
    await page.get_by_label(re.compile("^Price per cycle")).fill("49.90")
    await page.get_by_role("button", name="Add the plan").click()
    await page.get_by_text("Fiber 300 is in the catalogue.").wait_for()
    await page.get_by_role("row").filter(has_text="Fiber 300").wait_for()
    await screenshots(page, "02-plans")

    # the customer: details edited (a bad email first), then subscribed from the 1st
    await page.get_by_role("link", name="Customers").first.click()
    await page.get_by_role("link", name="Noor Haddad").click()
    await page.get_by_role("link", name="Edit details").click()
    await page.get_by_label("Email").fill("noor@")
    await page.get_by_label("Street and number").fill("12 Cedar Lane")
    await page.get_by_role("button", name="Save the changes").click()
    await page.locator("#email-error").wait_for()
    await page.locator("#service_address-city-error").wait_for()  # half an address
    await accessible(page)
    await screenshots(page, "03-customer-edit-errors")
    await page.get_by_label("Email").fill("noor.haddad@example.net")
    await page.get_by_label("City").fill("Portland")
    await page.get_by_label("Postal code").fill("97201")
    await page.get_by_label(re.compile("^Country")).fill("US")
    await page.get_by_label("Tags, separated by commas").fill("fiber, vip")
    await page.get_by_role("button", name="Save the changes").click()
    await page.get_by_text("noor.haddad@example.net").wait_for()
    facts = await page.locator(".facts").first.inner_text()
    assert "12 Cedar Lane" in facts and "fiber, vip" in facts, facts

    # billing is in arrears: last month, ended, is the period to bill
    this_month = datetime.now(UTC).date().replace(day=1)
    first_of_month = (this_month - timedelta(days=1)).replace(day=1)
    await page.get_by_label("Subscribe to").select_option(index=0)  # Fiber 300, the one plan
    await page.get_by_label("Starting (default today)").fill(first_of_month.isoformat())
    await page.get_by_role("button", name="Subscribe").click()
    await page.get_by_text("Subscribed.").wait_for()
    assert "Fiber 300: from" in await page.locator("main").inner_text()
    await accessible(page)
    await screenshots(page, "04-customer-subscribed")

    # the period: previewed (nothing invoiced), then billed
    period = first_of_month.strftime("%Y-%m")
    await page.goto(f"{site}/billing")
    await page.get_by_label("Period (year and month)").fill(period)
    await page.get_by_label("Run").select_option("yes")
    await page.get_by_role("button", name="Go").click()
    preview = page.get_by_role("region", name=re.compile("Preview of"))
    await preview.wait_for()
    assert "would make 1 invoices, 54.89 USD" in await preview.inner_text()  # 49.90 + 10%
    listed = await http.get(f"{platform.gateway_url}/api/v1/invoices", headers=owner.headers)
    assert listed.json()["total"] == 0  # a dry run changes nothing
    await accessible(page)
    await screenshots(page, "05-bill-run-preview")
    await page.get_by_role("button", name=f"Bill {period} now").click()
    await page.get_by_text(f"Billed {period}: 1 invoices made.").wait_for()

    # the invoice: paid by bank transfer (an amount that is not one first)
    await page.get_by_role("link", name="Invoices", exact=True).first.click()
    await page.get_by_role("row").filter(has_text="54.89 USD").get_by_role("link").click()
    await page.get_by_role("heading", name=re.compile("^Invoice ")).wait_for()
    await accessible(page)
    await screenshots(page, "06-invoice")
    await page.get_by_label("Amount (USD)").fill("12.345")
    await page.get_by_role("button", name="Record the payment").click()
    assert "Enter the amount in USD" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Amount (USD)").fill("54.89")
    await page.get_by_label("Paid by").select_option("bank_transfer")
    await page.get_by_label("Reference (optional)").fill("TRF-0042")
    await page.get_by_role("button", name="Record the payment").click()
    await page.get_by_text("Payment recorded.").wait_for()
    facts = await page.locator(".facts").inner_text()
    assert "paid" in facts, facts

    # its PDF, and the invoice mailed to the customer again with the PDF attached
    kind, head = await page.evaluate(
        """async url => {
            const answer = await fetch(url);  // the browser's own request, with its session
            const bytes = new Uint8Array(await answer.arrayBuffer());
            return [answer.headers.get("content-type"), String.fromCharCode(...bytes.slice(0, 4))];
        }""",
        page.url.split("?")[0] + "/pdf",
    )
    assert (kind, head) == ("application/pdf", "%PDF"), (kind, head)
    await page.get_by_role("button", name="Mail it to the customer").click()
    await page.get_by_text("Sent to the customer, with the PDF attached.").wait_for()
    for _ in range(100):
        mailed = [m for m in platform.mail.messages() if m["To"] == "noor.haddad@example.net"]
        if len(mailed) >= 2:  # when it was issued (automated_billing), and now
            break
        await page.wait_for_timeout(100)
    attached = [p.get_content_type() for p in mailed[-1].iter_attachments()]
    assert attached == ["application/pdf"], attached

    # a one-off invoice, issued, then voided with a reason
    await page.get_by_role("link", name="Noor Haddad").click()
    await page.get_by_role("link", name="Invoice this customer").click()
    await page.get_by_label("Description").first.fill("Router installation")
    await page.get_by_label(re.compile("^Unit price")).first.fill("120")
    await page.get_by_label("When").select_option("yes")
    await page.get_by_role("button", name="Make the invoice").click()
    await page.get_by_role("heading", name=re.compile("^Invoice ")).wait_for()
    await page.get_by_role("button", name="Void the invoice").click()  # no reason
    await page.get_by_role("alert").wait_for()
    await page.get_by_label("Reason for voiding").fill("Installed under warranty")
    await page.get_by_role("button", name="Void the invoice").click()
    await page.get_by_text("Voided.").wait_for()
    assert "void (Installed under warranty)" in await page.locator(".facts").inner_text()
    await accessible(page)
    await screenshots(page, "07-invoice-voided")

    # a bank transfer to the account with nothing open: all of it credit; part refunded
    await page.get_by_role("link", name="Noor Haddad").click()
    await page.get_by_label("Amount (USD)").fill("100")
    await page.get_by_label("Paid by").select_option("bank_transfer")
    await page.get_by_role("button", name="Receive the payment").click()
    await page.get_by_text("Payment received.").wait_for()
    facts = await page.locator(".facts").inner_text()
    assert "Kept as credit\t100.00 USD" in facts or "Kept as credit\n100.00 USD" in facts, facts
    await page.get_by_label(re.compile("^Amount to refund")).fill("150")  # more than it was
    await page.get_by_role("button", name="Refund").click()
    await page.get_by_role("alert").wait_for()
    await page.get_by_label(re.compile("^Amount to refund")).fill("30")
    await page.get_by_label("Reason").fill("Paid twice by mistake")
    await page.get_by_role("button", name="Refund").click()
    await page.get_by_text("Refunded.").wait_for()
    assert "30.00 USD" in await page.locator("main").inner_text()
    await accessible(page)
    await screenshots(page, "08-payment-refunded")
    await page.get_by_role("link", name="Noor Haddad").click()
    account = await page.locator("[data-account]").inner_text()
    assert "70.00 USD" in account and "in credit" in account, account

    # a card, charged through the ISP's own Stripe account (localstripe here)
    await page.goto(f"{site}/billing")
    await page.get_by_label(re.compile("^Stripe secret key")).fill("pk_test_not_a_secret")
    await page.get_by_role("button", name="Save the key").click()
    await page.get_by_role("alert").wait_for()  # a publishable key is refused
    key = f"sk_test_{uuid.uuid4().hex}"
    await page.get_by_label(re.compile("^Stripe secret key")).fill(key)
    await page.get_by_role("button", name="Save the key").click()
    await page.get_by_text(f"ending in {key[-4:]}").wait_for()
    assert key not in await page.content()  # never shown again
    await page.get_by_role("link", name="Customers").first.click()
    await page.get_by_role("link", name="Noor Haddad").click()
    await page.get_by_label("Amount (USD)").fill("25.50")
    await page.get_by_label("Paid by").select_option("card")
    await page.get_by_label(re.compile("^Card: the Stripe payment method")).fill("pm_card_visa")
    await page.get_by_role("button", name="Receive the payment").click()
    await page.get_by_text("Payment received.").wait_for()
    assert "card" in await page.locator(".facts").inner_text()

    # the statement of account: every movement, and what the customer is owed
    await page.get_by_role("link", name="Noor Haddad").click()
    await page.get_by_role("link", name="Statement of account").click()
    closing = await page.locator("[data-closing]").inner_text()
    assert closing == "-95.50 USD", closing  # 100 - 30 + 25.50 in credit
    await accessible(page)
    await screenshots(page, "08b-statement")

    # the ISP's details on its invoices; branding needs the white label of a higher tier
    await page.goto(f"{site}/billing")
    await page.get_by_label("Legal name").fill("Biz Web Fiber LLC")
    await page.get_by_label("Address (up to 6 lines)").fill("1 Fiber Way\nPortland, OR 97201")
    await page.get_by_role("button", name="Save your details").click()
    await page.get_by_text("Your details on invoices are saved.").wait_for()
    assert "white label" in await page.locator("main").inner_text()

    # dunning: settings (a mistake first), a pass previewed
    await page.goto(f"{site}/billing/dunning")
    await page.get_by_label("Run a pass every day").check()
    await page.get_by_label("Reminder days, from the due date").fill("soon")
    await page.get_by_role("button", name="Save the settings").click()
    await page.locator("#reminder_days-error").wait_for()
    await accessible(page)
    await page.get_by_label("Reminder days, from the due date").fill("-3, 1, 7")
    await page.get_by_label("Late fee", exact=True).select_option("fixed")
    await page.get_by_label(re.compile("^Fixed late fee")).fill("5")
    await page.get_by_label(re.compile("^Grace days")).fill("5")
    await page.get_by_label(re.compile("^Suspend after")).fill("30")
    await page.get_by_role("button", name="Save the settings").click()
    await page.get_by_text("Dunning settings saved.").wait_for()
    assert await page.get_by_label("Reminder days, from the due date").input_value() == "-3, 1, 7"
    assert await page.get_by_label(re.compile("^Fixed late fee")).input_value() == "5.00"
    await page.get_by_label("Run a pass now").select_option("yes")
    await page.get_by_role("button", name="Go").click()
    await page.get_by_role("region", name=re.compile("Preview of a pass")).wait_for()
    await accessible(page)
    await screenshots(page, "09-dunning")


async def test_the_owner_changes_a_role_exports_the_data_and_cancels_then_stays(
    platform, http, page, screenshots
):
    owner, _ = await signed_in_isp(platform, http, page, "free")
    invited = await http.post(
        f"{platform.gateway_url}/api/v1/users",
        json={"name": "Ria Admin", "email": f"ria-{uuid.uuid4().hex[:6]}@example.net",
              "role": "admin"},
        headers=owner.headers,
    )  # fmt: skip
    assert invited.status_code == 201, invited.text

    await page.get_by_role("link", name="People").click()
    await page.get_by_label("Role of Ria Admin").select_option("support")
    await page.get_by_role("button", name="Change role of Ria Admin").click()
    await page.get_by_role("row").filter(has_text="Ria Admin").wait_for()
    assert await page.get_by_label("Role of Ria Admin").input_value() == "support"
    await page.get_by_role("button", name="Disable Ria Admin").click()
    await page.get_by_role("button", name="Re-enable Ria Admin").wait_for()
    # the owner cannot be left without an active owner: refused, said why
    await page.get_by_label("Role of Owen").select_option("admin")
    await page.get_by_role("button", name="Change role of Owen").click()
    assert "owner" in (await page.get_by_role("alert").inner_text()).lower()
    await accessible(page)
    await screenshots(page, "01-people-roles")

    await page.get_by_role("link", name="Data & leaving").click()
    await page.get_by_role("button", name="Export all data now").click()
    await page.get_by_text("Your data is archived").wait_for()
    link = page.get_by_role("link", name=re.compile("^Download"))
    async with page.expect_download() as downloading:
        await link.click()
    archive = await (await downloading.value).path()
    manifest = zipfile.ZipFile(archive).read("manifest.json")
    assert owner.isp_id in manifest.decode()
    await accessible(page)
    await screenshots(page, "02-export")

    await page.get_by_label("Why are you leaving? (optional)").fill("Trying another tool")
    await page.get_by_label(re.compile("^Type .* to confirm")).fill("not-the-slug")
    await page.get_by_role("button", name="Cancel my service").click()
    await page.locator("#confirm-error").wait_for()
    state = await http.get(
        f"{platform.gateway_url}/api/v1/tenant/cancellation", headers=owner.headers
    )
    assert state.status_code == 404  # nothing was cancelled
    slug = owner.host["Host"].split(".", 1)[0]
    await page.get_by_label(re.compile("^Type .* to confirm")).fill(slug)
    await page.get_by_role("button", name="Cancel my service").click()
    await page.get_by_text("Cancellation requested.").wait_for()
    await page.get_by_role("button", name="Keep my service").wait_for()
    await accessible(page)
    await screenshots(page, "03-cancellation-pending")
    await page.get_by_role("button", name="Keep my service").click()
    await page.get_by_text("You are staying").wait_for()
    state = await http.get(
        f"{platform.gateway_url}/api/v1/tenant/cancellation", headers=owner.headers
    )
    assert state.status_code == 404


async def test_an_admin_subscribes_a_receiver_to_webhooks_and_sees_its_deliveries(
    platform, http, page, screenshots, inbox
):
    owner, site = await signed_in_isp(platform, http, page, "free")
    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_label("URL (https)").fill("ftp://example.net/hook")
    await page.get_by_label("customer.created").check()
    await page.get_by_role("button", name="Add the endpoint").click()
    await page.locator("#url-error").wait_for()
    assert await page.get_by_label("customer.created").is_checked()  # the choice is kept
    await accessible(page)
    await page.get_by_label("URL (https)").fill(inbox.url)  # loopback http: development only
    await page.get_by_label("What it is for (optional)").fill("CRM sync")
    await page.get_by_role("button", name="Add the endpoint").click()
    secret = (await page.locator("[data-secret]").inner_text()).strip()
    assert secret.startswith("whsec_")
    await accessible(page)
    await screenshots(page, "01-webhook-secret-once")

    # a customer made elsewhere reaches the receiver, signed with that secret
    made = await http.post(
        f"{platform.gateway_url}/api/v1/customers",
        json={"name": "Hook Customer"},
        headers=owner.headers,
    )
    assert made.status_code == 201, made.text
    event, (body, headers) = await inbox.typed("customer.created")
    assert event["data"]["name"] == "Hook Customer"
    from standardwebhooks.webhooks import Webhook

    Webhook(secret).verify(body, headers)

    await page.goto(f"{site}/webhooks")
    assert secret not in await page.content()  # never shown again
    await page.get_by_role("link", name=inbox.url).click()
    await page.get_by_role("button", name="Send a test event").click()
    await page.get_by_text("A webhook.test event is on its way").wait_for()
    await inbox.typed("webhook.test")
    for _ in range(50):  # the attempt is logged once the delivery answered
        await page.reload()
        log = await page.get_by_role("table").inner_text()
        if "webhook.test" in log and "customer.created" in log:
            break
        await page.wait_for_timeout(200)
    assert "succeeded" in log, log
    await page.get_by_role("button", name="Pause deliveries").click()
    await page.get_by_text("Paused: nothing is delivered").wait_for()
    await page.get_by_role("button", name="Resume deliveries").wait_for()
    await accessible(page)
    await screenshots(page, "02-webhook-deliveries")


ISP_PAGES = (
    "/",
    "/customers",
    "/customers/new",
    "/customers/import",
    "/plans",
    "/invoices",
    "/billing",
    "/billing/dunning",
    "/payments",
    "/tickets",
    "/tickets/new",
    "/devices",
    "/alerts",
    "/users",
    "/api-keys",
    "/webhooks",
    "/plan",
    "/account",
)


async def test_every_isp_page_fits_a_phone_and_passes_axe(platform, http, phone_page, screenshots):
    """At 390 px wide, no page scrolls sideways (wide tables scroll inside their own box) and
    every one passes axe-core's WCAG 2.1 A/AA rules."""
    _, site = await signed_in_isp(platform, http, phone_page, "premium")
    for n, path in enumerate(ISP_PAGES, 1):
        answer = await phone_page.goto(f"{site}{path}")
        assert answer is not None and answer.status == 200, path
        overflow = await phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow} px wider than the phone"
        await accessible(phone_page)
        await screenshots(phone_page, f"{n:02d}-{path.strip('/').replace('/', '-') or 'dashboard'}")
