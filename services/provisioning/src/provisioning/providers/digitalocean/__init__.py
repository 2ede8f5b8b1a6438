"""The `digitalocean` provider: a droplet sized by tier in the DigitalOcean region of the ISP's
platform region, a block-storage volume sized by the tier's storage attached to it, a firewall
letting HTTP and HTTPS in, and a DigitalOcean domain for the ISP's domain with A records at `@`
and `www` pointing at the droplet (the resources of `infra/modules/digitalocean-isp`).

- `client`: python-digitalocean adapted (timeouts, the HTTP status of an error kept) and its
  errors sorted into what a person must fix and what the workflow retries;
- `resources`: each resource found again from the ISP alone, or made (idempotent);
- `provider`: the onboarding's steps and their compensations, from those resources.
"""

from provisioning.providers.digitalocean.client import (
    DigitalOceanRefused,
    DigitalOceanUnavailable,
)
from provisioning.providers.digitalocean.provider import DigitalOceanProvider
from provisioning.providers.digitalocean.resources import names

__all__ = ["DigitalOceanProvider", "DigitalOceanRefused", "DigitalOceanUnavailable", "names"]
