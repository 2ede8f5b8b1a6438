"""Stripe unreachable: opening an account fails, its event goes back to be tried again, and
the ISP's account does not move (no half-opened state). Billing here points at a port nothing
listens on; it is the only billing consuming in this module."""

import asyncio

import pytest

from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints import api as api_entry
from billing.entrypoints import stream as stream_entry
from devstack.ports import free_port
from dotmac_contracts.vocabulary import Tier
from servicekit.config import PlatformSettings
from servicekit.testing import served

pytestmark = pytest.mark.integration


async def test_an_unreachable_stripe_leaves_the_account_as_it_was_and_is_retried(
    migrated_database, nats_server, temporal_server, publish, harness
):
    platform = PlatformSettings(
        database_url=migrated_database,
        nats_url=nats_server.url,
        internal_token="billing-test-internal-token",
        temporal_address=f"127.0.0.1:{temporal_server.port}",
    )
    billing = bootstrap(
        Settings(
            platform=platform,
            stripe_api_base=f"http://127.0.0.1:{free_port()}",
            stripe_api_key="sk_test_unreachable",
            stripe_webhook_secret="whsec_unused",
        )
    )
    roles = [api_entry.role(billing), stream_entry.role(billing)]
    async with served(billing.runtime, roles, base_url="http://billing") as client:
        await publish(harness.catalogue())
        signup = harness.registered(Tier.BASIC)
        await publish(signup)
        await harness.account(client, signup.isp_id, lambda a: a["status"] == "registered")
        await publish(harness.licence(signup.isp_id, Tier.BASIC))
        for _ in range(200):
            if billing.runtime.events.outcomes["retried"] >= 2:
                break
            await asyncio.sleep(0.05)
        assert billing.runtime.events.outcomes["retried"] >= 2  # tried, failed, tried again
        account = await harness.account(client, signup.isp_id, lambda a: True)
    assert (account["status"], account["opened_at"], account["stripe_customer_id"]) == (
        "registered",
        None,
        None,
    )
