"""Accounts' SQL: the ISPs billing knows, their Stripe ids and status, and the tier prices."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing.models import Account, AccountMove, AccountStatus, TierPrice
from servicekit.db import table_of


async def register(session: AsyncSession, account: Account) -> None:
    """Record a newly registered ISP; a repeat (or a later step) leaves the row as it is."""
    values = {c.key: getattr(account, c.key) for c in Account.__table__.columns}
    await session.execute(insert(table_of(Account)).values(values).on_conflict_do_nothing())


async def get(session: AsyncSession, isp_id: UUID, *, lock: bool = False) -> Account | None:
    query = select(Account).where(Account.isp_id == isp_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def get_many(
    session: AsyncSession, isp_ids: Sequence[UUID], *, lock: bool = False
) -> dict[UUID, Account]:
    """The accounts of those of `isp_ids` billing knows, by ISP id; locked in id order, so two
    transactions locking some of the same accounts never wait for each other in a circle."""
    query = select(Account).where(Account.isp_id.in_(isp_ids)).order_by(Account.isp_id)
    found = await session.scalars(query.with_for_update() if lock else query)
    return {account.isp_id: account for account in found}


async def of_customer(
    session: AsyncSession, customer_id: str, *, lock: bool = False
) -> Account | None:
    query = select(Account).where(Account.stripe_customer_id == customer_id)
    if lock:  # and read it again: an earlier read in this session may be stale
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def standing_of_customer(
    connection: AsyncConnection, customer_id: str
) -> Row[str, str, str | None] | None:
    """The status, tier and subscription of the Stripe customer's account, in one read."""
    query = select(Account.status, Account.tier, Account.stripe_subscription_id).where(
        Account.stripe_customer_id == customer_id
    )
    return (await connection.execute(query)).first()


async def price_of(session: AsyncSession, tier: str) -> TierPrice | None:
    return await session.get(TierPrice, tier)


async def set_prices(session: AsyncSession, prices: list[dict[str, object]]) -> None:
    table = table_of(TierPrice)
    statement = insert(table).values(prices)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.tier],
            set_={
                name: statement.excluded[name]
                for name in (
                    "price_cents",
                    "currency",
                    "custom_pricing",
                    "customer_cap",
                    "catalogue_version",
                )
            }
            | {"updated_at": statement.excluded.updated_at},
            where=table.c.updated_at < statement.excluded.updated_at,
        )
    )


def moved(
    session: AsyncSession, account: Account, status: AccountStatus, reason: str, at: datetime
) -> bool:
    """Set the account's status and keep the move in its history; whether it changed."""
    if account.status == status:
        return False
    session.add(
        AccountMove(
            isp_id=account.isp_id,
            previous=account.status,
            status=status.value,
            reason=reason[:500],
            at=at,
        )
    )
    account.status, account.status_changed_at = status.value, at
    return True
