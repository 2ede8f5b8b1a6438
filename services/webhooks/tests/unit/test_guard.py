"""Where deliveries may go: https only in production and never inside (SSRF), whatever a name
resolves to when the delivery is made; loopback http in development."""

import pytest

from webhooks.delivery.guard import PublicOnlyResolver, RefusedTarget, check_url


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/dotmac",
        "https://hooks.example.com:8443/in?source=dotmac",
    ],
)
def test_public_https_urls_are_accepted_in_production(url):
    assert check_url(url, production=True) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://127.0.0.1/x", "platform's own"),
        ("https://10.1.2.3/x", "private"),
        ("https://192.168.0.10/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),  # cloud metadata
        ("https://[::1]/x", "platform's own"),
        ("https://[fd00::1]/x", "private"),
        ("https://203.0.113.9/x", "private"),  # a documentation range: not global either
        ("https://[::ffff:10.0.0.1]/x", "private"),
        ("https://localhost/x", "platform's own"),
        ("https://api.localhost/x", "platform's own"),
    ],
)
def test_internal_targets_are_refused_in_production(url, why):
    with pytest.raises(RefusedTarget, match=why):
        check_url(url, production=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000/hook", "http://localhost:9000/hook", "http://[::1]:9/x"]
)
def test_development_accepts_loopback_http(url):
    assert check_url(url, production=False) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "loopback"),
        ("ftp://hooks.example.com/x", "absolute http"),
        ("javascript:alert(1)", "absolute http"),
        ("/relative/path", "absolute http"),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("https://hooks.example.com/x#frag", "fragment"),
        ("https://hooks.example.com:99999/x", "not a URL"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/\x00", "control"),
        ("https://hooks.example.com/" + "a" * 2100, "2048"),
    ],
)
def test_malformed_and_hostile_urls_are_refused_everywhere(url, why):
    with pytest.raises(RefusedTarget, match=why):
        check_url(url, production=False)


async def test_the_production_resolver_refuses_names_that_resolve_inside():
    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(RefusedTarget, match="internal"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()
