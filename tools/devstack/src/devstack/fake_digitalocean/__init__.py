"""A small fake of DigitalOcean's v2 API, in memory, for the digitalocean provider's tests.

No registry has a fake of DigitalOcean, so this one implements just what the provider and
python-digitalocean call: droplets, volumes (and their attach action), firewalls, domains and
their records, and the account. It answers as DigitalOcean does: a bearer token or 401, 422 with
DigitalOcean's error document for an unknown size, region or image or an invalid name, lists in
pages with ``links`` and ``meta.total``, and a droplet that is ``new`` when created and is
``active`` with a public IPv4 address from its second look on.

Run it as ``python -m devstack.fake_digitalocean --port N [--token T]`` (``FakeDigitalOcean`` in
``devstack.components`` does); clients reach it through ``DIGITALOCEAN_END_POINT=<url>/v2/``.
``POST /_fake/outage {"status": 503, "count": 2}`` makes the next requests fail, so tests can
see how a client takes throttling and outages.
"""

from devstack.fake_digitalocean.api import app

__all__ = ["app"]
