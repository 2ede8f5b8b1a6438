"""Bill runs' SQL: a period's invoices for every customer of the ISP at once, set-based.

`billed_lines` is the period's billable days as lines: for each subscription, the days it ran
in the period (`daterange`s) less the days its customer was not active (from the status
history) and its holds, by multirange difference, each remaining stretch a line prorated with
the arithmetic of `tenant_api.billing.money` (cumulative shares rounded down), plus the setup
fee of a subscription that started in the period (not a plan change), plan prices turned into
the currency's minor units (cents, yen, fils), each taxed at the customer's, else the plan's,
else the ISP's default rate. Only plans in the ISP's billing currency are billed.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.billing.money import minor_units_per_major
from tenant_api.models import TENANT_DATA, BillRun, Invoice

BILLED_LINES = """
status_spans AS (
    SELECT customer_id, to_status,
           (changed_at AT TIME ZONE 'UTC')::date AS d0,
           coalesce(
               ((lead(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at, id))
                   AT TIME ZONE 'UTC')::date,
               'infinity'::date) AS d1
    FROM {s}.customer_status_changes
),
off_days AS (
    SELECT customer_id, range_agg(daterange(d0, d1)) AS days
    FROM status_spans
    WHERE to_status <> 'active' AND d0 < d1 AND d0 < :p1 AND d1 > :p0
    GROUP BY customer_id
),
held AS (
    SELECT customer_id, subscription_id, range_agg(daterange(starts_on, ends_on)) AS days
    FROM {s}.billing_holds
    WHERE starts_on < :p1 AND ends_on > :p0 AND starts_on < ends_on
    GROUP BY customer_id, subscription_id
),
pieces AS (
    SELECT sub.id AS subscription_id, sub.customer_id, p.name AS plan_name,
           p.tax_rate_id AS plan_tax, round(p.price * :per_major)::bigint AS price,
           CASE p.billing_cycle WHEN 'quarterly' THEN 3 WHEN 'annual' THEN 12 ELSE 1 END
               AS cycle,
           unnest(
               datemultirange(daterange(greatest(sub.starts_on, :p0),
                                        least(coalesce(sub.ends_on, :p1), :p1)))
               - coalesce(o.days, '{{}}'::datemultirange)
               - coalesce(hc.days, '{{}}'::datemultirange)
               - coalesce(hs.days, '{{}}'::datemultirange)
           ) AS r
    FROM {s}.subscriptions sub
    JOIN {s}.service_plans p ON p.id = sub.plan_id
    LEFT JOIN off_days o ON o.customer_id = sub.customer_id
    LEFT JOIN held hc ON hc.customer_id = sub.customer_id AND hc.subscription_id IS NULL
    LEFT JOIN held hs ON hs.subscription_id = sub.id
    WHERE sub.starts_on < :p1 AND (sub.ends_on IS NULL OR sub.ends_on > :p0)
      AND sub.starts_on <= coalesce(sub.ends_on, sub.starts_on) AND p.currency = :currency
),
raw_lines AS (
    SELECT customer_id, subscription_id, plan_tax, lower(r) AS a, upper(r) AS b,
           CASE WHEN lower(r) = :p0 AND upper(r) = :p1 THEN 'service' ELSE 'prorated' END
               AS kind,
           plan_name || ', ' || to_char(lower(r), 'FMDD Mon YYYY') || ' to '
               || to_char(upper(r) - 1, 'FMDD Mon YYYY') AS description,
           price * (upper(r) - :p0) / (:n * cycle) - price * (lower(r) - :p0) / (:n * cycle)
               AS amount
    FROM pieces
    UNION ALL
    SELECT sub.customer_id, sub.id, p.tax_rate_id, sub.starts_on, NULL::date, 'setup_fee',
           p.name || ': setup', round(p.setup_fee * :per_major)::bigint
    FROM {s}.subscriptions sub
    JOIN {s}.service_plans p ON p.id = sub.plan_id
    WHERE sub.starts_on >= :p0 AND sub.starts_on < :p1 AND sub.previous_id IS NULL
      AND p.setup_fee > 0 AND p.currency = :currency
      AND (sub.ends_on IS NULL OR sub.ends_on > sub.starts_on)
),
rated AS (
    SELECT l.*, coalesce(t.basis_points, 0)::bigint AS bp, coalesce(t.inclusive, false) AS incl
    FROM raw_lines l
    LEFT JOIN {s}.customer_billing cb ON cb.customer_id = l.customer_id
    LEFT JOIN {s}.tax_rates t
        ON t.id = coalesce(cb.tax_rate_id, l.plan_tax,
                           (SELECT tax_rate_id FROM {s}.billing_settings))
    WHERE l.amount > 0
),
taxes AS (
    SELECT rated.*,
           CASE WHEN incl THEN (2 * amount * bp + 10000 + bp) / (2 * (10000 + bp))
                ELSE (2 * amount * bp + 10000) / 20000 END AS tax
    FROM rated
),
billed_lines AS (
    SELECT taxes.*,
           CASE WHEN incl THEN amount - tax ELSE amount END AS net,
           CASE WHEN incl THEN amount ELSE amount + tax END AS total
    FROM taxes
),
per_customer AS (
    SELECT customer_id, sum(net)::bigint AS net, sum(tax)::bigint AS tax,
           sum(total)::bigint AS total
    FROM billed_lines GROUP BY customer_id
)
"""

INVOICE = """
WITH {lines},
made AS (
    INSERT INTO {s}.invoices (id, tenant_id, customer_id, kind, status, currency, period_start,
        period_end, bill_run_id, subtotal, discount_total, tax_total, total, amount_paid,
        amount_credited, created_by, created_at, updated_at)
    SELECT gen_random_uuid(), :tenant, customer_id, 'invoice', 'draft', :currency, :p0, :p1,
           :run, net, 0, tax, total, 0, 0, :by, :now, :now
    FROM per_customer
    ON CONFLICT (tenant_id, customer_id, period_start)
        WHERE kind = 'invoice' AND period_start IS NOT NULL DO NOTHING
    RETURNING id, customer_id, total
),
lines_made AS (
    INSERT INTO {s}.invoice_lines (id, tenant_id, invoice_id, position, kind, description,
        subscription_id, service_start, service_end, quantity, unit_amount, discount,
        tax_basis_points, tax_inclusive, net, tax, total)
    SELECT gen_random_uuid(), :tenant, m.id,
           row_number() OVER (PARTITION BY m.id ORDER BY l.a, l.kind DESC, l.subscription_id),
           l.kind, left(l.description, 300), l.subscription_id, l.a, l.b, 1, l.amount, 0,
           l.bp, l.incl, l.net, l.tax, l.total
    FROM billed_lines l JOIN made m USING (customer_id)
)
SELECT count(*) AS invoices, coalesce(sum(total), 0)::bigint AS amount FROM made
"""

NUMBER = """
WITH o AS MATERIALIZED (
    SELECT inv.id, row_number() OVER (ORDER BY c.account_number, inv.id) AS k
    FROM {s}.invoices inv JOIN {s}.customers c ON c.id = inv.customer_id
    WHERE inv.bill_run_id = :run AND inv.status = 'draft'
)
UPDATE {s}.invoices i
SET status = CASE WHEN i.total = 0 THEN 'paid' ELSE 'issued' END,
    sequence_number = :first + o.k - 1,
    number = :prefix || lpad((:first + o.k - 1)::text,
                             greatest(6, length((:first + o.k - 1)::text)), '0'),
    issued_on = :today, due_on = :due, updated_at = :now
FROM o
WHERE i.id = o.id AND i.bill_run_id = :run AND i.status = 'draft'
"""
"""The numbering is worked out once (MATERIALIZED), and the invoices to number are found by the
same filter as it: rows inserted in this transaction are not in the planner's statistics, so
it may take an ISP's invoices for one row and join them the slow way round. Without both, it
re-ran the numbering for each of the ISP's invoices: 20-60 s an issue once a demo's twelve
months were billed in one transaction, against milliseconds."""

PREVIEW = """
WITH {lines},
existing AS (
    SELECT customer_id, id, total FROM {s}.invoices
    WHERE kind = 'invoice' AND period_start = :p0
)
SELECT coalesce(pc.customer_id, e.customer_id) AS customer_id, pc.total AS would_invoice,
       e.total AS invoiced, e.id AS invoice_id
FROM per_customer pc FULL JOIN existing e ON e.customer_id = pc.customer_id
ORDER BY 1
"""


async def _schema(session: AsyncSession) -> str:
    """The schema of the ISP's data: `tenant_data`, or its silo's (the text SQL here is not
    translated by SQLAlchemy as its Core statements are)."""
    connection = await session.connection()
    translate = (
        connection.sync_connection.get_execution_options().get(  # type: ignore[union-attr]
            "schema_translate_map"
        )
        or {}
    )
    schema = translate.get(TENANT_DATA, TENANT_DATA)
    return f'"{schema}"'


async def _planned_per_call(session: AsyncSession) -> None:
    """Plan the run's statements for their own values each time: after five executions a
    prepared statement may switch to a generic plan, and the generic plan of these scans every
    ISP's rows for each ISP."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _params(p0: date, p1: date, currency: str) -> dict[str, Any]:
    return {
        "p0": p0,
        "p1": p1,
        "n": (p1 - p0).days,
        "currency": currency,
        "per_major": minor_units_per_major(currency),
    }


async def lock_period(session: AsyncSession, tenant_id: UUID, p0: date) -> None:
    """Runs of one ISP's period take turns, so each counts what it made itself."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"bill-run:{tenant_id}:{p0.isoformat()}"},
    )


async def invoice_period(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    run_id: UUID,
    p0: date,
    p1: date,
    currency: str,
    by: str,
    now: datetime,
) -> tuple[int, int]:
    """Make the period's draft invoices, with their lines, for every customer with billable
    days and none yet: how many, and their amount."""
    s = await _schema(session)
    await _planned_per_call(session)
    statement = INVOICE.format(lines=BILLED_LINES.format(s=s), s=s)
    found = await session.execute(
        text(statement),
        {**_params(p0, p1, currency), "tenant": tenant_id, "run": run_id, "by": by, "now": now},
    )
    invoices, amount = found.one()
    return int(invoices), int(amount)


async def lock_drafts(session: AsyncSession, run_id: UUID) -> int:
    """Lock the run's drafts (before the number counter, as issuing one invoice does, so the
    two never wait on each other): how many there are."""
    found = await session.execute(
        select(Invoice.id)
        .where(Invoice.bill_run_id == run_id, Invoice.status == "draft")
        .order_by(Invoice.id)
        .with_for_update()
    )
    return len(found.all())


async def number_run(
    session: AsyncSession,
    *,
    run_id: UUID,
    first: int,
    prefix: str,
    today: date,
    due: date,
    now: datetime,
) -> None:
    """Issue the run's drafts with consecutive numbers from `first`, by account number."""
    s = await _schema(session)
    await session.execute(
        text(NUMBER.format(s=s)),
        {"run": run_id, "first": first, "prefix": prefix, "today": today, "due": due, "now": now},
    )


async def preview(
    session: AsyncSession, *, p0: date, p1: date, currency: str
) -> list[Row[UUID, int | None, int | None, UUID | None]]:
    """Per customer: what a run now would invoice, and what the period's invoice holds."""
    s = await _schema(session)
    await _planned_per_call(session)
    statement = PREVIEW.format(lines=BILLED_LINES.format(s=s), s=s)
    found = await session.execute(text(statement), _params(p0, p1, currency))
    return list(found.all())  # type: ignore[arg-type]


async def overlapping_period(session: AsyncSession, p0: date, p1: date) -> date | None:
    """The start of a period other than [p0, p1) that overlaps it and was invoiced already
    (the billing day changed since), if there is one."""
    return await session.scalar(
        select(Invoice.period_start)
        .where(
            Invoice.kind == "invoice",
            Invoice.period_start.is_not(None),
            Invoice.period_start != p0,
            Invoice.period_start < p1,
            Invoice.period_end > p0,
        )
        .limit(1)
    )


async def get(session: AsyncSession, run_id: UUID) -> BillRun | None:
    return await session.get(BillRun, run_id)


def search(*, period_start: date | None = None, dry_run: bool | None = None) -> Any:
    query = select(BillRun)
    if period_start:
        query = query.where(BillRun.period_start == period_start)
    if dry_run is not None:
        query = query.where(BillRun.dry_run == dry_run)
    return query.order_by(BillRun.created_at.desc(), BillRun.id)
