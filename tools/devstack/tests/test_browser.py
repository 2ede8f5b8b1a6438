"""The browser tests' own machinery: Debian's Chromium launches headless under Playwright, a
page can be clicked, read and photographed, and the WCAG check passes an accessible page and
names what is wrong with an inaccessible one."""

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack import browser as machinery
from devstack.browser import check_accessibility, chromium, focus_order, report
from devstack.ports import LOCALHOST, free_port

pytestmark = pytest.mark.integration

ACCESSIBLE = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Greeting</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<main>
  <h1>Greeting</h1>
  <form onsubmit="event.preventDefault();
      document.getElementById('out').textContent = 'Hello, ' + this.who.value + '!'">
    <label for="who">Your name</label>
    <input id="who" name="who" value="Ada">
    <button type="submit">Greet</button>
  </form>
  <p id="out" role="status"></p>
  <a href="#top">Back to top</a>
</main>
</body>
</html>"""

INACCESSIBLE = b"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Broken</title></head>
<body>
<main>
  <h1>Broken</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" class="logo">
  <input type="text" id="nameless">
</main>
</body>
</html>"""

PAGES = {"/": ACCESSIBLE, "/broken": INACCESSIBLE}


class Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer((LOCALHOST, free_port()), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCALHOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_debians_chromium_opens_a_page_and_a_click_changes_it(page, site, screenshots):
    await page.goto(site)
    await page.get_by_label("Your name").fill("Grace")
    await page.get_by_role("button", name="Greet").click()

    assert await page.get_by_role("status").inner_text() == "Hello, Grace!"
    shot = await screenshots(page, "greeted")
    assert shot.name == "greeted.png" and "test_browser" in shot.parent.name
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 1000
    assert "Chrom" in await page.evaluate("navigator.userAgent")
    assert chromium().executable.exists()


async def test_a_phone_page_lays_out_at_phone_width(phone_page, site, screenshots):
    await phone_page.goto(site)
    assert await phone_page.evaluate("window.innerWidth") == 390
    assert (await screenshots(phone_page, "phone")).stat().st_size > 1000


async def test_an_accessible_page_has_no_violations_and_tab_reaches_every_control(page, site):
    await page.goto(site)
    violations = await check_accessibility(page)
    assert violations == [], report(violations)
    assert await focus_order(page) == ['input "Your name"', 'button "Greet"', 'a "Back to top"']


async def test_an_image_without_alt_and_an_unlabelled_input_are_named(page, site):
    await page.goto(f"{site}/broken")
    violations = await check_accessibility(page)

    by_rule = {violation.rule: violation for violation in violations}
    assert {"image-alt", "label"} <= by_rule.keys(), report(violations)
    assert by_rule["image-alt"].targets == ("img",) or "logo" in by_rule["image-alt"].targets[0]
    assert by_rule["label"].targets == ("#nameless",)
    assert "image-alt" in report(violations) and "#nameless" in report(violations)
    assert await check_accessibility(page, disable=["image-alt", "label"]) == []


def test_once_unpacked_chromium_needs_no_apt(monkeypatch, tmp_path):
    if machinery.SYSTEM_CHROMIUM.exists():
        pytest.skip("this machine has Debian's chromium installed: nothing is unpacked")
    unpacked = chromium()
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get, apt-cache nor dpkg from here on
    again = machinery.chromium.__wrapped__()
    assert again == unpacked and again.origin == "unpacked"
    assert any("libgtk-3" in str(d) for d in again.library_dirs)


def test_without_chromium_or_apt_a_user_is_told_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(machinery, "SYSTEM_CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(machinery.ChromiumUnavailable, match="apt-get install chromium"):
        machinery.chromium.__wrapped__(tmp_path / "cache")
