"""Bulk tenant data: how long loading each demo scenario takes, and importing a CSV of
10,000 customers (the dry run, then the commit).

Needs the Postgres and NATS that `make up` starts (the defaults of DOTMAC_DATABASE_URL and
DOTMAC_NATS_URL). tenant-api's own code runs in this process against them, so the figures are
the service's work and the database's, without the network hop. Run:

    .venv/bin/python bench/tenant_data.py
    .venv/bin/python bench/tenant_data.py --rows 20000 --repeat 3

Each measurement uses a fresh tenant, deleted afterwards. The last line is one JSON object:
{"small_load_s": ..., "medium_load_s": ..., "enterprise_load_s": ..., "import_rows": 10000,
 "import_check_s": ..., "import_commit_s": ...} (the best of --repeat runs each).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

# bench/tenant_api.py is named like the service's package, and this directory comes first on
# sys.path when a bench runs: drop it, or `import tenant_api` would import that script.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

from tenant_api.config import Settings  # noqa: E402
from tenant_api.entrypoints.api import create_app  # noqa: E402
from tenant_api.identity.auth.roles import Role  # noqa: E402
from tenant_api.identity.auth.service import create_user  # noqa: E402
from tenant_api.models import Entitlement  # noqa: E402

PLUGINS = ["customer_management", "basic_billing", "user_auth", "basic_reporting"]
FIRST = ["Maria", "Tom", "Aisha", "Wei", "Olga", "Diego", "Priya", "Sam", "Lena", "Kofi"]
LAST = ["Alvarez", "Becker", "Okafor", "Chen", "Novak", "Silva", "Patel", "Cole", "Berg", "Mensah"]


class Bench:
    def __init__(self, app, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client
        self.internal = {
            "Authorization": f"Bearer {Settings().platform.internal_token.get_secret_value()}"
        }
        self.made: list[uuid.UUID] = []

    async def tenant(self) -> tuple[uuid.UUID, dict[str, str]]:
        """A fresh enterprise tenant with an owner signed in."""
        tenant_id = uuid.uuid4()
        slug = f"bench-data-{tenant_id.hex[:10]}"
        created = await self.client.put(
            f"/internal/v1/tenants/{tenant_id}",
            json={"slug": slug, "name": "Bench", "tier": "enterprise", "host": f"{slug}.localhost"},
            headers=self.internal,
        )
        created.raise_for_status()
        self.made.append(tenant_id)
        now = datetime.now(UTC)
        db = self.app.state.runtime.db
        async with db.unit_of_work(tenant=tenant_id) as session:
            owner = await create_user(
                session,
                tenant_id=tenant_id,
                email=f"owner@{slug}.example",
                name="Owner",
                role=Role.OWNER,
                password=None,
                now=now,
            )
            session.add(
                Entitlement(
                    tenant_id=tenant_id,
                    licence_id=uuid.uuid4(),
                    tier="enterprise",
                    plugins=PLUGINS,
                    customer_cap=None,
                    api_rate_per_minute=1200,
                    issued_at=now,
                    expires_at=now + timedelta(days=1),
                    status="active",
                )
            )
        await self.app.state.entitlements.load(db, str(tenant_id))
        token = self.app.state.access_tokens.issue(
            user_id=owner.id, tenant_id=tenant_id, role=Role.OWNER, now=now
        )
        return tenant_id, {"Host": f"{slug}.localhost", "Authorization": f"Bearer {token}"}

    async def load(self, scenario: str) -> float:
        tenant_id, _ = await self.tenant()
        started = time.perf_counter()
        loaded = await self.client.post(
            f"/internal/v1/tenants/{tenant_id}/demo-data",
            json={"scenario": scenario},
            headers=self.internal,
        )
        took = time.perf_counter() - started
        loaded.raise_for_status()
        print(f"{scenario}: {loaded.json()} in {took:.2f} s", file=sys.stderr)
        return took

    async def import_rows(self, rows: int) -> tuple[float, float]:
        _, owner = await self.tenant()
        rng = random.Random(rows)
        lines = ["Full Name,Email,Phone,Street,City,State,Zip,Status"]
        for n in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            lines.append(
                f"{first} {last},{first}.{last}.{n}@example.net,(541) 555-{n % 10000:04d},"
                f"{rng.randint(1, 9999)} Maple Street,Springfield,OR,97477,active"
            )
        content = "\n".join(lines).encode()
        started = time.perf_counter()
        checked = await self.client.post(
            "/api/v1/customer-imports",
            content=content,
            params={"country": "US"},
            headers={**owner, "Content-Type": "text/csv"},
        )
        check_s = time.perf_counter() - started
        checked.raise_for_status()
        report = checked.json()
        if report["error_count"] or report["ready"] != rows:
            raise SystemExit(f"the import did not check clean: {report['errors'][:3]}")
        started = time.perf_counter()
        committed = await self.client.post(
            f"/api/v1/customer-imports/{report['id']}/commit", json={}, headers=owner
        )
        commit_s = time.perf_counter() - started
        committed.raise_for_status()
        print(
            f"import: {rows} rows checked in {check_s:.2f} s, committed in {commit_s:.2f} s",
            file=sys.stderr,
        )
        return check_s, commit_s

    async def clean(self) -> None:
        for tenant_id in self.made:
            dropped = await self.client.delete(
                f"/internal/v1/tenants/{tenant_id}", headers=self.internal
            )
            dropped.raise_for_status()


async def main(rows: int, repeat: int) -> dict[str, float | int]:
    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://tenant-api", timeout=120
        ) as client:
            bench = Bench(app, client)
            try:
                figures: dict[str, float | int] = {}
                for scenario in ("small", "medium", "enterprise"):
                    runs = [await bench.load(scenario) for _ in range(repeat)]
                    figures[f"{scenario}_load_s"] = round(min(runs), 2)
                imports = [await bench.import_rows(rows) for _ in range(repeat)]
                figures["import_rows"] = rows
                figures["import_check_s"] = round(min(c for c, _ in imports), 2)
                figures["import_commit_s"] = round(min(c for _, c in imports), 2)
            finally:
                await bench.clean()
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="customers in the CSV")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rows, args.repeat))))
