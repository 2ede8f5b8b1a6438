"""Licence tokens verify offline with the published key set, and nothing else verifies."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dotmac_contracts.vocabulary import Tier
from licensing.licences.service import signed_terms
from licensing.licences.signing import LicenceSigner
from licensing.licences.verification import InvalidLicence, verify_licence


def sign(signer: LicenceSigner, **overrides) -> str:
    now = datetime.now(UTC)
    claims = dict(
        licence_id=uuid.uuid4(),
        isp_id=uuid.uuid4(),
        tier="basic",
        plugins=["customer_management", "basic_reporting"],
        customer_cap=1000,
        api_rate_per_minute=60,
        issued_at=now,
        expires_at=now + timedelta(days=365),
    )
    return signer.sign(**{**claims, **overrides})


@pytest.fixture
def signer() -> LicenceSigner:
    return LicenceSigner(Ed25519PrivateKey.generate())


def test_a_licence_verifies_with_the_published_key_set(signer):
    isp_id = uuid.uuid4()
    licence = verify_licence(sign(signer, isp_id=isp_id), signer.key_set())
    assert licence.isp_id == isp_id
    assert licence.tier == "basic" and licence.customer_cap == 1000
    assert "basic_reporting" in licence.plugins
    assert signer.key_set()["keys"][0]["kid"] == signer.key_id


@pytest.mark.parametrize(
    ("tier", "rate"),
    [(Tier.FREE, None), (Tier.BASIC, 60), (Tier.PREMIUM, 1_200), (Tier.ENTERPRISE, 1_200)],
)
def test_the_signed_terms_carry_the_tiers_api_rate(signer, tier, rate):
    isp_id, now = uuid.uuid4(), datetime.now(UTC)
    terms = signed_terms(signer, isp_id=isp_id, tier=tier, now=now, validity=timedelta(days=1))
    assert terms.api_rate_per_minute == rate
    verify_licence(terms.token, signer.key_set())  # signed by the platform key, not expired
    claims = jwt.decode(terms.token, options={"verify_signature": False})
    assert "api_rate_per_minute" in claims and claims["api_rate_per_minute"] == rate


def test_a_tampered_licence_is_refused(signer):
    token = sign(signer)
    header, _, signature = token.split(".")
    forged_claims = jwt.decode(token, options={"verify_signature": False})
    forged_claims["tier"] = "enterprise"
    forged_payload = jwt.encode(forged_claims, "k" * 32, algorithm="HS256").split(".")[1]
    with pytest.raises(InvalidLicence):
        verify_licence(f"{header}.{forged_payload}.{signature}", signer.key_set())


def test_a_licence_signed_by_another_key_is_refused(signer):
    impostor = LicenceSigner(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidLicence):
        verify_licence(sign(impostor), signer.key_set())


def test_an_expired_licence_is_refused(signer):
    past = datetime.now(UTC) - timedelta(days=30)
    token = sign(signer, issued_at=past - timedelta(days=1), expires_at=past)
    with pytest.raises(InvalidLicence, match="expired"):
        verify_licence(token, signer.key_set())


@pytest.mark.parametrize("garbage", ["", "not.a.token", "a.b", "x" * 5000])
def test_garbage_is_refused_not_crashed_on(signer, garbage):
    with pytest.raises(InvalidLicence):
        verify_licence(garbage, signer.key_set())


def test_an_unsigned_token_is_refused(signer):
    claims = jwt.decode(sign(signer), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": signer.key_id})
    with pytest.raises(InvalidLicence):
        verify_licence(unsigned, signer.key_set())


def test_the_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "signing-key.pem"
    first = LicenceSigner.from_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert LicenceSigner.from_file(path).key_id == first.key_id
