import copy

import pytest
from pydantic import ValidationError

from registration.isps.schemas import IspRegistration
from registration.isps.service import company_key, request_fingerprint, slugify


def invalid_fields(body) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        IspRegistration.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


def with_(acme: dict, path: str, value):
    body = copy.deepcopy(acme)
    *parents, leaf = path.split(".")
    node = body
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value
    return body


def test_the_issue_example_is_valid(acme):
    registration = IspRegistration.model_validate(acme)
    assert registration.domain == "acme.example"
    assert registration.contacts.technical is not None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("contacts.primary.email", "not-an-email"),
        ("contacts.technical.email", "tom@"),
        ("tier", "platinum"),
        ("region", "mars-north-1"),
        ("domain", "acme_fiber"),
        ("domain", "acme"),
        ("company.name", KeyError),
        ("contacts.primary", KeyError),
        ("company.name", "A" * 201),
        ("service_area", "x" * 501),
        ("company.country", "USA"),
        ("contacts.primary.phone", "555-0100"),
        ("expected_customers", -1),
        ("expected_customers", "many"),
        ("billing_period", "weekly"),
        ("company.surprise", "extra fields are refused"),
        ("company.name", "Acme\x00Fiber"),
    ],
)
def test_each_bad_field_is_named(acme, path, value):
    assert path in invalid_fields(with_(acme, path, value))


def test_every_missing_field_is_reported_at_once():
    missing = invalid_fields({})
    assert {
        "company",
        "contacts",
        "service_area",
        "expected_customers",
        "region",
        "tier",
        "domain",
    } <= missing


def test_company_identity_ignores_case_accents_and_spacing():
    assert company_key("  ACME   Fibér, Inc. ") == company_key("acme fiber inc")
    assert slugify("Acme Fiber & Co.") == "acme-fiber-co"
    assert slugify("!!!") == "isp"
    assert len(slugify("x" * 300)) <= 40


def test_fingerprint_ignores_formatting_but_not_content(acme):
    a = IspRegistration.model_validate(acme)
    b = IspRegistration.model_validate(with_(acme, "company.name", "  Acme Fiber "))
    c = IspRegistration.model_validate(with_(acme, "tier", "premium"))
    assert request_fingerprint(a) == request_fingerprint(b) != request_fingerprint(c)


def test_data_that_must_stay_in_the_eu_is_placed_only_in_an_eu_region(acme):
    eu = with_(acme, "data_residency", "eu")
    with pytest.raises(ValidationError) as caught:
        IspRegistration.model_validate(eu)  # the example's region is us-east-1
    [error] = caught.value.errors()
    assert error["loc"] == ("region",)
    assert "us-east-1" in error["msg"] and "eu-central-1" in error["msg"]
    for region in ("eu-west-1", "eu-central-1", "eu-west-2"):
        assert IspRegistration.model_validate(with_(eu, "region", region)).region == region
    assert "data_residency" in invalid_fields(with_(acme, "data_residency", "us"))
    # Without a residency requirement any region goes.
    assert IspRegistration.model_validate(with_(acme, "region", "ap-northeast-1"))


def test_the_platform_places_each_region_by_its_configuration():
    from dotmac_contracts.vocabulary import Provider, Region
    from registration.config import Settings

    settings = Settings(placements={"eu-west-1": "aws"})
    assert settings.provider_for(Region.EU_WEST_1) is Provider.AWS
    assert settings.provider_for(Region.US_EAST_1) is Provider.LOCAL
    with pytest.raises(ValidationError, match="no datacentre for sa-east-1"):
        Settings(default_provider="digitalocean")
