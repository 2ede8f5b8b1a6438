"""Subscriber billing: a bill run of 100,000 subscriptions across 100 ISPs, then the same run
again, which must invoice nothing.

Each ISP's period is billed by tenant-api's own bill-run code (`tenant_api.billing.runs`), in
this process, on a unit of work at that ISP under row-level security, as the service role
`dotmac_tenant_api` connects: the figure is the service's work and the database's, without
the HTTP hop. Goal on 2 cores: under 60 s, and the re-run makes no invoice.

Needs a Postgres: the stack's that `make up` starts (DOTMAC_DATABASE_URL, default
127.0.0.1:5433), migrated to head first (as `make up` does). If none answers there, or with
`--own-postgres`, the bench starts its own cluster from devstack in a temporary directory on a
free port, migrates it, and stops it at the end (by its PID). Run:

    .venv/bin/python bench/bill_run.py
    .venv/bin/python bench/bill_run.py --own-postgres
    .venv/bin/python bench/bill_run.py --tenants 10 --subscriptions 1000 --parallel 3

Data (made once per database and reused; `--reload` drops and loads it again): ISPs
`bench-bill-000`, ... each with 10 plans (one with a setup fee, one quarterly), a 10% default
tax, and customers COPYed in as the Postgres superuser with their status history and
subscriptions to make `--subscriptions` in all. Of each ISP's customers, over last month's
period: 5% changed plan on day 15 (two subscriptions each); of the others 6% started on day
11, 6% cancelled on day 21, 4% were on a vacation hold for days 6-12, 4% were suspended from
day 10 to day 20, 2% were suspended all period (no invoice); the rest ran all month. Before
measuring, the ISPs' invoices and bill runs are deleted and their invoice numbers restart at 1.

The last line is one JSON object:
{"subscriptions": 100000, "tenants": 100, "seconds": ..., "rerun_new_invoices": 0}
(with "invoices", the invoices the run made, and "rerun_seconds").
"""

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

# bench/tenant_api.py is named like the service's package, and this directory comes first on
# sys.path when a bench runs: drop it, or `import tenant_api` would import that script.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

from devstack.ports import free_port  # noqa: E402
from devstack.postgres import Postgres  # noqa: E402
from servicekit.config import PlatformSettings  # noqa: E402
from servicekit.db import Database  # noqa: E402
from tenant_api.billing.runs import service as bill_runs  # noqa: E402
from tenant_api.billing.runs.schemas import BillRunCreate  # noqa: E402
from tenant_api.config import Settings  # noqa: E402
from tenant_api.messagebus import MessageBus, UnitOfWork  # noqa: E402

SLUG_PREFIX = "bench-bill-"
PLANS = [  # name, price, setup fee, cycle
    ("Basic 25", "19.99", "0", "monthly"),
    ("Home 100", "39.00", "0", "monthly"),
    ("Home 300", "54.50", "49.00", "monthly"),
    ("Fiber 500", "69.00", "0", "monthly"),
    ("Fiber 1000", "89.00", "0", "monthly"),
    ("Gamer", "99.99", "0", "monthly"),
    ("Business 200", "129.00", "0", "monthly"),
    ("Business 1000", "249.00", "0", "monthly"),
    ("Quarterly 100", "105.00", "0", "quarterly"),
    ("Student", "14.99", "0", "monthly"),
]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def last_period(today: date) -> tuple[date, date]:
    """Last month's period (billing day 1): ended, so it can be billed."""
    p1 = today.replace(day=1)
    return (p1 - timedelta(days=1)).replace(day=1), p1


async def reachable(url: str) -> bool:
    try:
        connection = await asyncpg.connect(dsn(url), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


def migrate(url: str) -> None:
    env = {**os.environ, "DOTMAC_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "tenant_api", "migrate"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"tenant-api migrate failed:\n{done.stderr[-3000:]}")


def copy_rows(rows: list[tuple[object, ...]]) -> io.BytesIO:
    """Rows as COPY text: tab-separated, \\N for null."""
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    return io.BytesIO(out.getvalue().encode())


async def copy(db: asyncpg.Connection, table: str, columns: list[str], rows: list) -> None:
    schema, name = table.split(".")
    await db.copy_to_table(
        name, schema_name=schema, columns=columns, source=copy_rows(rows), format="text"
    )


async def load(
    db: asyncpg.Connection, tenants: int, subscriptions: int, p0: date, p1: date
) -> list[uuid.UUID]:
    """The bench ISPs, loaded unless they are there with all their subscriptions."""
    per_tenant = subscriptions // tenants
    found = await db.fetch(
        """
        SELECT t.id, count(s.id) AS subscriptions
        FROM tenant.tenants t LEFT JOIN tenant_data.subscriptions s ON s.tenant_id = t.id
        WHERE t.slug LIKE $1 GROUP BY t.id
        """,
        SLUG_PREFIX + "%",
    )
    if len(found) == tenants and all(r["subscriptions"] == per_tenant for r in found):
        return [r["id"] for r in found]
    if found:
        say(f"dropping {len(found)} bench ISPs to load them again")
        await db.execute("DELETE FROM tenant.tenants WHERE slug LIKE $1", SLUG_PREFIX + "%")
    now = datetime.now(UTC)
    joined = datetime.combine(p0 - timedelta(days=60), datetime.min.time(), UTC)
    day = {n: p0 + timedelta(days=n - 1) for n in range(1, 32)}
    rows: dict[str, list] = {k: [] for k in ("t", "bs", "tr", "p", "c", "h", "s", "hold")}
    ids = []
    for t in range(tenants):
        tenant_id = uuid.uuid4()
        ids.append(tenant_id)
        slug = f"{SLUG_PREFIX}{t:03d}"
        rows["t"].append(
            (tenant_id, slug, f"Bench ISP {t}", "basic", f"{slug}.localhost", "active", now)
        )
        tax = uuid.uuid4()
        rows["tr"].append((tax, tenant_id, "Sales tax", 1000, False, now))
        rows["bs"].append((tenant_id, "USD", tax, "INV-", 1, 14, 1, now))
        plans = [uuid.uuid4() for _ in PLANS]
        for plan_id, (name, price, fee, cycle) in zip(plans, PLANS, strict=True):
            rows["p"].append(
                (plan_id, tenant_id, name, 100, 100, price, fee, "USD", cycle, "active", now)
            )
        changes = per_tenant // 20  # 5%: two subscriptions each
        for i in range(per_tenant - changes):
            customer_id = uuid.uuid4()
            plan = plans[i % len(plans)]
            status, history = "active", [("active", joined)]
            starts, ends, reason = p0 - timedelta(days=30), None, None
            kind = i % 50
            if i < changes:
                pass  # changes plan on day 15, below
            elif kind in (0, 1, 2):
                starts = day[11]
            elif kind in (3, 4, 5):
                ends, reason = day[21], "cancelled"
            elif kind in (6, 7):
                hold = (uuid.uuid4(), tenant_id, customer_id, day[6], day[13], "bench", now)
                rows["hold"].append(hold)
            elif kind in (8, 9):
                history += [
                    ("suspended", datetime.combine(day[10], datetime.min.time(), UTC)),
                    ("active", datetime.combine(day[20], datetime.min.time(), UTC)),
                ]
            elif kind == 10:
                status = "suspended"
                history.append(("suspended", joined + timedelta(days=30)))
            rows["c"].append(
                (
                    customer_id,
                    tenant_id,
                    f"C{i + 1:07d}",
                    f"Customer {i}",
                    "residential",
                    status,
                    history[-1][1],
                    joined,
                    joined,
                )
            )
            previous = None
            for to_status, at in history:
                rows["h"].append((uuid.uuid4(), tenant_id, customer_id, previous, to_status, at))
                previous = to_status
            sub = uuid.uuid4()
            if i < changes:  # changed plan on day 15: two subscriptions
                rows["s"].append(
                    (sub, tenant_id, customer_id, plan, starts, day[15], "changed", None, now)
                )
                rows["s"].append(
                    (
                        uuid.uuid4(),
                        tenant_id,
                        customer_id,
                        plans[(i + 1) % len(plans)],
                        day[15],
                        None,
                        None,
                        sub,
                        now,
                    )
                )
            else:
                rows["s"].append(
                    (sub, tenant_id, customer_id, plan, starts, ends, reason, None, now)
                )
    say(f"loading {tenants} ISPs, {len(rows['c'])} customers, {len(rows['s'])} subscriptions")
    await copy(
        db,
        "tenant.tenants",
        ["id", "slug", "name", "tier", "host", "status", "created_at"],
        rows["t"],
    )
    await copy(
        db,
        "tenant_data.tax_rates",
        ["id", "tenant_id", "name", "basis_points", "inclusive", "created_at"],
        rows["tr"],
    )
    await copy(
        db,
        "tenant_data.billing_settings",
        [
            "tenant_id",
            "currency",
            "tax_rate_id",
            "invoice_prefix",
            "next_invoice_number",
            "payment_terms_days",
            "billing_day",
            "updated_at",
        ],
        rows["bs"],
    )
    await copy(
        db,
        "tenant_data.service_plans",
        [
            "id",
            "tenant_id",
            "name",
            "download_mbps",
            "upload_mbps",
            "price",
            "setup_fee",
            "currency",
            "billing_cycle",
            "status",
            "created_at",
        ],
        rows["p"],
    )
    await copy(
        db,
        "tenant_data.customers",
        [
            "id",
            "tenant_id",
            "account_number",
            "name",
            "kind",
            "status",
            "status_changed_at",
            "created_at",
            "updated_at",
        ],
        rows["c"],
    )
    await copy(
        db,
        "tenant_data.customer_status_changes",
        ["id", "tenant_id", "customer_id", "from_status", "to_status", "changed_at"],
        rows["h"],
    )
    await copy(
        db,
        "tenant_data.subscriptions",
        [
            "id",
            "tenant_id",
            "customer_id",
            "plan_id",
            "starts_on",
            "ends_on",
            "end_reason",
            "previous_id",
            "created_at",
        ],
        [r for r in rows["s"] if r[7] is None],
    )
    await copy(
        db,
        "tenant_data.subscriptions",
        [
            "id",
            "tenant_id",
            "customer_id",
            "plan_id",
            "starts_on",
            "ends_on",
            "end_reason",
            "previous_id",
            "created_at",
        ],
        [r for r in rows["s"] if r[7] is not None],
    )
    await copy(
        db,
        "tenant_data.billing_holds",
        ["id", "tenant_id", "customer_id", "starts_on", "ends_on", "created_by", "created_at"],
        rows["hold"],
    )
    for table in (
        "customers",
        "customer_status_changes",
        "subscriptions",
        "service_plans",
        "billing_holds",
        "invoices",
        "invoice_lines",
    ):
        await db.execute(f"ANALYZE tenant_data.{table}")
    return ids


async def reset(db: asyncpg.Connection, ids: list[uuid.UUID]) -> None:
    """The bench ISPs as before any run: no invoices, numbers from 1."""
    await db.execute("DELETE FROM tenant_data.invoices WHERE tenant_id = ANY($1)", ids)
    await db.execute("DELETE FROM tenant_data.bill_runs WHERE tenant_id = ANY($1)", ids)
    await db.execute(
        "UPDATE tenant_data.billing_settings SET next_invoice_number = 1 WHERE tenant_id = ANY($1)",
        ids,
    )
    await db.execute("VACUUM ANALYZE tenant_data.invoices")
    await db.execute("VACUUM ANALYZE tenant_data.invoice_lines")


async def run_all(
    database: Database, ids: list[uuid.UUID], period: str, parallel: int
) -> tuple[float, int]:
    """Every ISP's bill run of the period, `parallel` at once: seconds, invoices made."""
    bus = MessageBus()  # a bill run raises no domain events
    queue = list(ids)
    made = 0

    async def worker() -> None:
        nonlocal made
        while queue:
            tenant_id = queue.pop()
            async with database.unit_of_work(tenant=tenant_id) as session:
                work = UnitOfWork(session, tenant_id, bus, datetime.now(UTC))
                bill_run, _ = await bill_runs.run(
                    work, BillRunCreate(period=period), by="bench:bill_run"
                )
                made += bill_run.invoices_created

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    return time.perf_counter() - started, made


async def main(args: argparse.Namespace) -> dict[str, object]:
    url = PlatformSettings().database_url
    own: Postgres | None = None
    if args.own_postgres or not await reachable(url):
        directory = Path(tempfile.mkdtemp(prefix="bench-bill-run-"))
        own = Postgres(free_port(), directory)
        say(f"starting a Postgres of the bench's own on port {own.port}")
        own.start()
        own.wait_ready()
        url = own.url
    try:
        migrate(url)
        p0, p1 = last_period(datetime.now(UTC).date())
        db = await asyncpg.connect(dsn(url))
        try:
            if args.reload:
                await db.execute("DELETE FROM tenant.tenants WHERE slug LIKE $1", SLUG_PREFIX + "%")
            ids = await load(db, args.tenants, args.subscriptions, p0, p1)
            await reset(db, ids)
        finally:
            await db.close()
        service_url = Settings(platform=PlatformSettings(database_url=url)).service_database_url()
        database = Database(service_url, connections=args.parallel + 1)
        period = f"{p0:%Y-%m}"
        say(f"billing {period} for {len(ids)} ISPs, {args.parallel} at once")
        seconds, invoices = await run_all(database, ids, period, args.parallel)
        say(f"run: {invoices} invoices in {seconds:.1f} s; running it again")
        rerun_seconds, again = await run_all(database, ids, period, args.parallel)
        await database.engine.dispose()
    finally:
        if own is not None:
            own.stop()
    return {
        "subscriptions": args.subscriptions,
        "tenants": args.tenants,
        "seconds": round(seconds, 2),
        "rerun_new_invoices": again,
        "invoices": invoices,
        "rerun_seconds": round(rerun_seconds, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--subscriptions", type=int, default=100_000, help="in all")
    parser.add_argument("--parallel", type=int, default=2, help="ISPs billed at once")
    parser.add_argument("--own-postgres", action="store_true", help="start a Postgres of its own")
    parser.add_argument("--reload", action="store_true", help="drop the bench ISPs and reload")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args))))
