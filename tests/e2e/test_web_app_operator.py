"""The operator console in a real headless Chromium, through the gateway: an ISP is onboarded,
the operator signs in with the operator token (a wrong one first: refused, no session), finds
the new ISP by search and filters, opens it and sees its six steps completed and its workflow
linked in the Temporal UI, at desktop and phone width, and signs out. Every page passes
axe-core's WCAG 2.1 A/AA rules and is photographed; an ISP person's session is no operator's,
and the forms refuse a post without their CSRF token."""

import re
import uuid
from typing import Any

import httpx
import pytest

from devstack.browser import check_accessibility, report

pytestmark = pytest.mark.e2e

OPERATOR_TOKEN = "dev-only-operator-token"  # the platform's default, as the e2e stack runs it
PASSWORD = "an-operator-test-password"


async def accessible(page: Any) -> None:
    violations = await check_accessibility(page)
    assert violations == [], report(violations)


async def session_cookies(page: Any) -> list[str]:
    return [c["value"] for c in await page.context.cookies() if c["name"] == "dotmac_session"]


async def isp_web_session(site: str, host: dict[str, str], email: str) -> str:
    """The ISP owner signed in through the web app's own sign-in page, on the ISP's host:
    the session cookie it gets."""
    async with httpx.AsyncClient(base_url=site, follow_redirects=False) as client:
        await client.get("/signin", headers=host)
        signed_in = await client.post(
            "/signin",
            headers=host,
            data={
                "csrf_token": client.cookies["dotmac_csrf"],
                "email": email,
                "password": PASSWORD,
                "next": "/",
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        return signed_in.cookies["dotmac_session"]


async def test_an_operator_finds_the_new_isp_and_its_deployment(
    platform, http, page, phone_page, screenshots
):
    site = platform.gateway_url
    n = uuid.uuid4().hex[:8]
    owner = await platform.signed_in_owner(http, f"Console {n}", tier="premium", password=PASSWORD)
    status = (await http.get(f"{site}/api/v1/isp/{owner.isp_id}/deployment")).json()
    assert status["workflow_id"]

    # without a session, the console asks for the token
    await page.goto(f"{site}/operator")
    await page.get_by_role("heading", name="Sign in to the operator console").wait_for()
    assert "/operator/signin" in page.url
    await accessible(page)
    await screenshots(page, "01-signin")

    # a wrong token: refused in words, and no session made
    await page.get_by_label("Operator token").fill("not-the-operator-token")
    await page.get_by_role("button", name="Sign in").click()
    refusal = page.get_by_role("alert")
    await refusal.wait_for()
    assert "not the operator token" in await refusal.inner_text()
    assert await session_cookies(page) == []
    assert await page.get_by_label("Operator token").input_value() == ""  # not sent back
    await accessible(page)
    await screenshots(page, "02-wrong-token")

    # the right one: the console, with counts by state and tier
    await page.get_by_label("Operator token").fill(OPERATOR_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Operator console").wait_for()
    assert page.url.rstrip("/") == f"{site}/operator"
    await page.get_by_role("heading", name="ISPs by state").wait_for()
    await page.get_by_role("heading", name="ISPs by tier").wait_for()
    assert len(await session_cookies(page)) == 1
    await accessible(page)
    await screenshots(page, "03-console")

    # found by search and filters; a filter it does not match leaves it out
    await page.get_by_label("Name or slug").fill(f"console {n}")
    await page.get_by_label("State", exact=True).select_option("active")
    await page.get_by_label("Tier", exact=True).select_option("free")
    await page.get_by_role("button", name="Find").click()
    await page.get_by_text("No ISP matches.").wait_for()
    await page.get_by_label("Tier", exact=True).select_option("premium")
    await page.get_by_label("Region", exact=True).select_option("us-east-1")
    await page.get_by_role("button", name="Find").click()
    row = page.locator(f'tr[data-isp="{owner.isp_id}"]')
    await row.wait_for()
    assert await page.get_by_role("status").inner_text() == "1 ISP match."
    cells = await row.inner_text()
    assert "premium" in cells and "us-east-1" in cells and "active" in cells
    await accessible(page)
    await screenshots(page, "04-found")

    # its deployment: six steps completed, its workflow in the Temporal UI
    await row.get_by_role("link").click()
    await page.wait_for_url(f"{site}/operator/isps/{owner.isp_id}")
    await page.get_by_role("heading", name=re.compile(f"^Console {n}")).wait_for()
    assert await page.locator("[data-state]").inner_text() == "active"
    steps = page.locator("[data-step]")
    assert await steps.count() == 6
    assert await page.locator('[data-step] [data-status]:text-is("completed")').count() == 6
    temporal = page.get_by_role("link", name="open it in the Temporal UI")
    href = await temporal.get_attribute("href")
    assert href == f"http://127.0.0.1:8233/namespaces/default/workflows/{status['workflow_id']}"
    assert owner.isp_id in href
    await accessible(page)
    await screenshots(page, "05-isp")

    # at phone width too
    await phone_page.context.add_cookies(await page.context.cookies())
    for path, name in (
        (f"/operator?q=console+{n}", "06-console-phone"),
        (f"/operator/isps/{owner.isp_id}", "07-isp-phone"),
    ):
        await phone_page.goto(f"{site}{path}")
        await phone_page.get_by_role("heading", level=1).wait_for()
        width = await phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide at phone width"
        await screenshots(phone_page, name)

    # signing out ends the session
    await page.get_by_role("button", name="Sign out of the console").click()
    await page.get_by_role("heading", name="Sign in to the operator console").wait_for()
    await page.goto(f"{site}/operator/isps/{owner.isp_id}")
    await page.get_by_role("heading", name="Sign in to the operator console").wait_for()
    await screenshots(page, "08-signed-out")

    # an ISP person's session is no operator's, on either host
    isp_cookie = await isp_web_session(site, owner.host, owner.email)
    async with httpx.AsyncClient(base_url=site, follow_redirects=False) as client:
        cookie = {"Cookie": f"dotmac_session={isp_cookie}"}
        console = await client.get("/operator", headers=cookie)
        assert console.status_code == 303
        assert console.headers["location"].startswith("/operator/signin")
        on_its_host = await client.get("/operator", headers={**cookie, **owner.host})
        assert on_its_host.status_code == 404


async def test_the_operator_forms_want_their_token_and_the_pages_a_session(platform):
    site = platform.gateway_url
    async with httpx.AsyncClient(base_url=site, follow_redirects=False) as client:
        # the right operator token, but posted without the form's CSRF token: refused
        forged = await client.post("/operator/signin", data={"token": OPERATOR_TOKEN})
        assert forged.status_code == 403
        assert "did not come from this site" in forged.text
        assert "dotmac_session" not in forged.cookies
        # every page sends a browser without a session to the sign-in, keeping where it went
        for path in ("/operator", f"/operator/isps/{uuid.uuid4()}"):
            away = await client.get(path)
            assert away.status_code == 303, path
            assert away.headers["location"].startswith("/operator/signin?next=%2Foperator")
        # a sign-in never leads off the console
        form = await client.get("/operator/signin?next=//evil.example/x")
        assert 'value="/operator"' in form.text and "evil.example" not in form.text
        # a wrong token, with the form's token: 401, no session
        wrong = await client.post(
            "/operator/signin",
            data={"csrf_token": client.cookies["dotmac_csrf"], "token": "x" * 600},
        )
        assert wrong.status_code == 401 and "not the operator token" in wrong.text
        assert "dotmac_session" not in wrong.cookies
        # sign-out without the form's token is refused too
        assert (await client.post("/operator/signout")).status_code == 403
