"""How the web app reads its host and the platform's problem documents, and where it lets a
sign-in send a person afterwards."""

from types import SimpleNamespace

import pytest

from webapp.isp.calls import local_path as _local
from webapp.rendering import field_errors, isp_slug


def request(host: str) -> SimpleNamespace:
    settings = SimpleNamespace(platform=SimpleNamespace(tenant_base_domain="localhost"))
    return SimpleNamespace(
        headers={"host": host}, state=SimpleNamespace(webapp=SimpleNamespace(settings=settings))
    )


@pytest.mark.parametrize(
    ("host", "slug"),
    [
        ("acme.localhost:8080", "acme"),
        ("ACME.localhost", "acme"),
        ("127.0.0.1:8080", None),
        ("localhost:8080", None),
        ("a.b.localhost", None),  # not one label: no ISP's host
        ("acme.localhost.evil.example", None),
        ("", None),
    ],
)
def test_an_isp_s_host_is_one_label_under_the_base_domain(host, slug):
    assert isp_slug(request(host)) == slug  # type: ignore[arg-type]


def test_problem_documents_become_messages_next_to_their_fields():
    problem = {
        "title": "Unprocessable content",
        "errors": [
            {"field": "company.name", "type": "string_too_short",
             "message": "String should have at least 1 character"},
            {"field": "expected_customers", "type": "int_parsing", "message": "Input should..."},
            {"field": "contacts.primary.email", "type": "value_error",
             "message": "value is not a valid email address: An email address must have an @"},
            {"field": "region", "type": "value_error",
             "message": "Value error, data that must stay in the EU cannot be placed there"},
            {"field": "region", "type": "missing", "message": "second error, same field"},
        ],
    }  # fmt: skip
    fields, general = field_errors(problem)
    assert fields == {
        "company.name": "Fill this in.",
        "expected_customers": "Enter a whole number, such as 250.",
        "contacts.primary.email": "Enter an email address, such as name@example.com.",
        "region": "Data that must stay in the EU cannot be placed there",
    }
    assert general is None
    assert field_errors({"title": "Conflict", "detail": "The domain is taken."}) == (
        {},
        "The domain is taken.",
    )


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/customers", "/customers"),
        ("/customers?q=a", "/customers?q=a"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_after_signing_in_only_a_path_of_this_site_is_followed(target, kept):
    assert _local(target) == kept
