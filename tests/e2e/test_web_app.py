"""The web app in a real headless Chromium (Debian's), through the gateway, as a person uses it:
a visitor compares the tiers, signs up (a mistake first: the errors stand next to their fields),
watches the deployment reach ready live, signs in on the ISP's own host with the mailed code,
adds a customer and finds it, and signs out. Every page passes axe-core's WCAG 2.1 A/AA rules and
is photographed (test-artifacts/screenshots/); forms refuse a post without their CSRF token."""

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest

from devstack.browser import check_accessibility, report

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-browser-password"


async def accessible(page: Any) -> None:
    violations = await check_accessibility(page)
    assert violations == [], report(violations)


async def welcome_code(platform: Any, to: str) -> str:
    for _ in range(300):
        mails = [m for m in platform.mail.messages() if m["To"] == to]
        if mails:
            found = re.search(r"^ {4}(\S+)\s*$", mails[0].get_content(), re.MULTILINE)
            assert found is not None
            return found.group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no welcome mail to {to}")


async def test_a_visitor_signs_up_watches_the_deployment_and_runs_the_isp(
    platform, page, phone_page, screenshots
):
    site = platform.gateway_url
    n = uuid.uuid4().hex[:8]
    owner = f"owner-{n}@browser-{n}.example"

    # the tiers, side by side
    await page.goto(f"{site}/")
    await accessible(page)
    await screenshots(page, "01-tiers")
    table = page.get_by_role("table", name="What each tier includes")
    for tier in ("Free", "Basic", "Premium", "Enterprise"):
        await table.get_by_role("columnheader", name=tier).wait_for()
    await page.get_by_role("link", name="Start with Premium").click()
    await page.wait_for_url(f"{site}/signup?tier=premium")

    # a first try with mistakes: each error next to its field, nothing created
    await page.get_by_label("Company name").fill(f"Browser Fiber {n}")
    await page.get_by_label("Your email").fill("not-an-address")
    await page.get_by_role("button", name="Create my ISP").click()
    email_error = page.locator("#contacts-primary-email-error")
    await email_error.wait_for()
    assert "email" in (await email_error.inner_text()).lower()
    assert await page.get_by_label("Your email").get_attribute("aria-invalid") == "true"
    assert await page.get_by_label("Company name").input_value() == f"Browser Fiber {n}"
    await accessible(page)
    await screenshots(page, "02-signup-errors")

    # the whole form
    await page.get_by_label("Registration number").fill(f"REG-{n}")
    await page.get_by_label("Tax id").fill(f"TAX-{n}")
    await page.get_by_label("Country (two letters, e.g. US)").fill("US")
    await page.get_by_label("Where you serve").fill("Springfield county")
    await page.get_by_label("Customers you expect").fill("400")
    await page.get_by_label("Your name").fill("Owen Browser")
    await page.get_by_label("Your email").fill(owner)
    await page.get_by_label("Region").select_option("us-east-1")
    await page.get_by_label("Tier").select_option("premium")
    await page.get_by_label("Your domain").fill(f"browser-{n}.example")
    await page.get_by_label("Card").select_option("pm_card_visa")
    await page.get_by_role("button", name="Create my ISP").click()

    # the deployment, followed live until ready
    await page.wait_for_url(re.compile(r"/signup/[0-9a-f-]{36}$"))
    await accessible(page)
    await screenshots(page, "03-deployment-started")
    ready = page.locator("[data-ready]")
    await ready.wait_for(state="visible", timeout=90_000)
    assert await page.locator("[data-state]").inner_text() == "active"
    assert await page.locator('[data-step] [data-status]:text-is("completed")').count() == 6
    await screenshots(page, "04-deployment-ready")
    sign_in_link = await page.get_by_role("link", name="sign in for the first time").get_attribute(
        "href"
    )
    assert sign_in_link is not None and ".localhost:" in sign_in_link

    # first sign-in on the ISP's own host, with the mailed code
    code = await welcome_code(platform, owner)
    await page.goto(sign_in_link)
    await accessible(page)
    await page.get_by_label("Code from the email").fill(code)
    await page.get_by_label("New password (12 characters or more)").fill(PASSWORD)
    await page.get_by_role("button", name="Set my password and sign in").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()
    isp_site = sign_in_link.removesuffix("/first-login")
    assert page.url.rstrip("/") == isp_site
    await page.get_by_text("Tier: Premium").wait_for()
    await accessible(page)
    await screenshots(page, "05-dashboard")

    # a customer: a mistake first, then added, then found
    await page.get_by_role("link", name="Customers").first.click()
    await page.get_by_role("link", name="Add a customer").click()
    await page.get_by_label("Name").fill("Maria Alvarez")
    await page.get_by_label("Email").fill("maria@@example")
    await page.get_by_role("button", name="Add").click()
    await page.locator("#email-error").wait_for()
    await accessible(page)
    await screenshots(page, "06-customer-error")
    await page.get_by_label("Email").fill("maria.alvarez@example.net")
    await page.get_by_label("Status").select_option("active")
    await page.get_by_role("button", name="Add").click()
    row = page.get_by_role("row").filter(has_text="Maria Alvarez")
    await row.wait_for()
    assert "active" in await row.inner_text()
    await accessible(page)
    await screenshots(page, "07-customers")

    # the same pages at phone width
    context_cookies = await page.context.cookies()
    await phone_page.context.add_cookies(context_cookies)
    await phone_page.goto(f"{isp_site}/customers")
    await phone_page.get_by_role("heading", name="Customers").wait_for()
    width = await phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at phone width"
    await screenshots(phone_page, "08-customers-phone")

    # signing out ends the session: the pages ask to sign in again
    await page.get_by_role("button", name=re.compile("^Sign out")).click()
    await page.get_by_role("heading", name=re.compile("^Sign in to")).wait_for()
    await page.goto(f"{isp_site}/customers")
    await page.get_by_role("heading", name=re.compile("^Sign in to")).wait_for()
    await page.get_by_label("Email").fill(owner)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Customers").wait_for()  # back where it was going
    await screenshots(page, "09-signed-in-again")


async def test_forms_refuse_posts_without_their_token_and_another_host_s_session(platform):
    site = platform.gateway_url
    async with httpx.AsyncClient(base_url=site, follow_redirects=False) as client:
        # no CSRF token (a form posted from another site): refused, nothing created
        forged = await client.post("/signup", data={"company.name": "Forged"})
        assert forged.status_code == 403
        assert "did not come from this site" in forged.text
        # a token that is not the cookie's
        await client.get("/signup")
        wrong = await client.post("/signup", data={"csrf_token": "guess", "tier": "basic"})
        assert wrong.status_code == 403
        # an ISP page without a session: to the sign-in page, and only ever to a local path
        away = await client.get("/customers", headers={"Host": "nobody.localhost"})
        assert away.status_code == 303 and away.headers["location"].startswith("/signin")
        page_ = await client.get(
            "/signin?next=//evil.example/x", headers={"Host": "nobody.localhost"}
        )
        assert 'value="//evil.example/x"' not in page_.text
        # a made-up session cookie is no session
        client.cookies.set("dotmac_session", "x" * 43)
        still = await client.get("/customers", headers={"Host": "nobody.localhost"})
        assert still.status_code == 303
        # unknown pages are pages too, not JSON
        missing = await client.get("/no-such-page")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
