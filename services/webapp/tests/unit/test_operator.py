"""The operator console's small decisions: where a sign-in may send the operator, how a
workflow is linked in the Temporal UI, and how money and times read."""

from types import SimpleNamespace

import pytest

from webapp.operator import _console_path, _usable, when, workflow_url
from webapp.rendering import money


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/operator", "/operator"),
        ("/operator?tier=basic&q=acme", "/operator?tier=basic&q=acme"),
        ("/operator/isps/0b7e", "/operator/isps/0b7e"),
        ("/operator/signin", "/operator"),  # not back to the sign-in page
        ("/", "/operator"),
        ("/customers", "/operator"),
        ("/operatorx", "/operator"),
        ("//evil.example/operator", "/operator"),
        ("/operator//evil.example", "/operator"),
        ("/operator/\\evil.example", "/operator"),
        ("https://evil.example/operator", "/operator"),
        ("", "/operator"),
    ],
)
def test_a_sign_in_leads_only_to_a_page_of_the_console(target, kept):
    assert _console_path(target) == kept


def request(ui: str, namespace: str = "default") -> SimpleNamespace:
    settings = SimpleNamespace(
        temporal_ui_url=ui, platform=SimpleNamespace(temporal_namespace=namespace)
    )
    return SimpleNamespace(state=SimpleNamespace(webapp=SimpleNamespace(settings=settings)))


def test_the_workflow_is_linked_in_the_temporal_ui_of_the_settings():
    link = workflow_url(request("http://127.0.0.1:8233/"), "onboard-5f0c")  # type: ignore[arg-type]
    assert link == "http://127.0.0.1:8233/namespaces/default/workflows/onboard-5f0c"
    odd = workflow_url(request("https://temporal.example", "ops ns"), "a/b?c")  # type: ignore[arg-type]
    assert odd == "https://temporal.example/namespaces/ops%20ns/workflows/a%2Fb%3Fc"
    assert workflow_url(request("http://ui"), None) is None  # type: ignore[arg-type]


def test_money_and_times_read_as_a_person_expects():
    assert money(1234567, "usd") == "12,345.67 USD"
    assert money(0, "eur") == "0.00 EUR"
    assert money(None, "usd") == "—"
    assert money(1200, "JPY") == "1,200 JPY"  # no minor unit
    assert when("2026-03-01T09:30:59.123456+00:00") == "2026-03-01 09:30 UTC"
    assert when("2026-03-01T11:30:00+02:00") == "2026-03-01 09:30 UTC"
    assert when(None) == "—"
    assert when("not a time") == "not a time"


@pytest.mark.parametrize(
    ("token", "usable"),
    [("dev-only-operator-token", True), ("x" * 513, False), ("tök", False), ("a\nb", False)],
)
def test_only_a_token_that_fits_in_a_header_is_sent_to_the_platform(token, usable):
    assert _usable(token) is usable
