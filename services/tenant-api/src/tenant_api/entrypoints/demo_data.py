"""`python -m tenant_api demo-data --tenant <id or slug> --scenario small`: load a scenario
into a tenant straight from the database, with or without the service running (the outbox
holds its events until the service's relay publishes them)."""

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select

from servicekit.cli import Command
from servicekit.problems import Problem
from tenant_api.bootstrap import bootstrap
from tenant_api.config import Settings
from tenant_api.demo import scenarios
from tenant_api.demo.endpoints import load_into
from tenant_api.models import Tenant


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, help="the tenant's id or slug")
    parser.add_argument("--scenario", required=True, choices=scenarios.SCENARIOS)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_load(Settings(), args.tenant, args.scenario))


async def _load(settings: Settings, tenant: str, scenario: str) -> int:
    composed = bootstrap(settings)
    runtime = composed.runtime
    try:
        async with composed.placements.kept_current(runtime):
            async with runtime.db.unit_of_work() as session:
                found = await session.scalar(select(Tenant.id).where(_named(tenant)))
            if found is None:
                print(f"No tenant {tenant}.", file=sys.stderr)
                return 2
            await composed.entitlements.load(runtime.db, str(found))
            loaded = await load_into(composed, found, scenario, datetime.now(UTC))
    except Problem as refused:
        print(f"{refused.title}: {refused.detail}", file=sys.stderr)
        return 1
    finally:
        await runtime.db.dispose()
    print(json.dumps(loaded.model_dump(mode="json")))
    return 0


def _named(tenant: str) -> ColumnElement[bool]:
    try:
        return or_(Tenant.id == UUID(tenant), Tenant.slug == tenant)
    except ValueError:
        return Tenant.slug == tenant


DEMO_DATA = Command(
    name="demo-data",
    help="load a sample-data scenario into an empty tenant",
    arguments=_arguments,
    run=_run,
)
