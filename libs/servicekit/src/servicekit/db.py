"""Engine, sessions and the unit of work. Service code never commits: the boundary does."""

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BindParameter, Table, bindparam, insert, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import KeyedColumnElement

Placement = Callable[[UUID], Awaitable[dict[str, str] | None]]
Heard = Callable[[Any], Awaitable[None] | None]
AfterCommit = Callable[[], Awaitable[None] | None]
DATABASE = "database"
"""Key of `session.info`: the `Database` whose unit of work the session is."""
_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, call: AfterCommit) -> None:
    """Have `call()` run (and be awaited, if it returns an awaitable) once the unit of work of
    `session` commits, before the unit of work returns; never if it rolls back. How a writer
    hands its process's workers (the outbox relay, the mail sender, local listeners) what it
    committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(call)


def database_of(session: AsyncSession) -> "Database | None":
    """The `Database` whose unit of work `session` is (None for a session made elsewhere)."""
    database = session.info.get(DATABASE)
    return database if isinstance(database, Database) else None


def param(column: KeyedColumnElement[Any]) -> BindParameter[Any]:
    """A bound parameter named and typed after `column`, for statements built once and run
    many times: building a statement and its cache key costs more CPU than running it, so the
    hot paths (outbox, inbox, read models) keep theirs at module or instance level."""
    return bindparam(column.key, type_=column.type)


def table_of(model: type[Any]) -> Table:
    """The Core table of an ORM model, for statements that need no ORM (and so skip its
    per-statement work)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Database:
    def __init__(self, url: str, *, connections: int = 30) -> None:
        """At most `connections` at once, opened as needed (or all at once, `open_all`) and
        then kept (not closed when a burst is over, as overflow connections are): a connection
        costs ~8 ms of CPU to open, most of it Postgres starting a backend, against ~0.6 ms for
        a transaction on one already open, and a burst of 50 onboardings opened and closed ~50
        of them."""
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=connections, max_overflow=0, pool_recycle=1800
        )
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={DATABASE: self}
        )
        self._placement: Placement | None = None
        self._listeners: dict[str, list[Heard]] = {}
        self.mark = uuid4().hex[:12]
        """Tells this database's NOTIFYs, heard as they commit, from other processes' ones."""

    async def open_all(self) -> None:
        """Open every connection of the pool now, rather than as work first needs them."""
        pool = self.engine.pool
        assert isinstance(pool, QueuePool)
        connections = await asyncio.gather(
            *(self.engine.connect().start() for _ in range(pool.size() - pool.checkedout()))
        )
        for connection in connections:
            await connection.close()  # back to the pool, open

    def hear_locally(self, channel: str, heard: Heard) -> Callable[[], None]:
        """Also call `heard(payload)` when this process commits a NOTIFY on `channel` — at
        once, before the unit of work returns, so a replica reads its own changes without
        waiting for Postgres to echo them. Returns the function that stops it."""
        self._listeners.setdefault(channel, []).append(heard)
        return lambda: self._listeners[channel].remove(heard)

    def heard_here(self, channel: str) -> bool:
        """Whether something in this process hears `channel`'s NOTIFYs locally."""
        return bool(self._listeners.get(channel))

    async def hear(self, channel: str, payload: str) -> None:
        """Tell this process's listeners of `channel` about `payload` (committed here)."""
        for heard in list(self._listeners.get(channel, ())):
            outcome = heard(payload)
            if inspect.isawaitable(outcome):
                await outcome

    def place_tenants_with(self, placement: "Placement") -> None:
        """Tenants' data may live in schemas of their own ("silos"): `placement` says, per
        tenant, which schemas its transactions use instead of the shared ones (None: shared)."""
        self._placement = placement

    @asynccontextmanager
    async def unit_of_work(self, tenant: UUID | None = None) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises.

        With `tenant`, the transaction sees and writes only that tenant's rows of the tables
        under row-level security (`tenant_isolation` policies read `app.tenant_id`), in the
        tenant's own schemas if it is placed in a silo; without it, it sees none of them.
        """
        schemas = await self._placement(tenant) if tenant and self._placement else None
        async with self.sessionmaker() as session, session.begin():
            if schemas:  # before anything else: it applies to the transaction's connection
                await session.connection(execution_options={"schema_translate_map": schemas})
            if tenant is not None:
                await session.execute(
                    text("SELECT set_config('app.tenant_id', :tenant, true)"),
                    {"tenant": str(tenant)},
                )
            yield session
        for call in session.info.get(_AFTER_COMMIT, ()):
            outcome = call()
            if inspect.isawaitable(outcome):
                await outcome

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a single read, outside any transaction: no BEGIN and COMMIT round
        trips, which under load each wait for a CPU. One statement sees one snapshot; use a
        unit of work when several must agree. Sees no rows under row-level security."""
        async with self.autocommit() as connection:
            yield connection

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement is a transaction of its own: one round trip
        where a unit of work takes three, for a change that needs no other with it."""
        async with self.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()


async def insert_rows(session: AsyncSession, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` into `model`'s table in batched multi-row INSERTs (no ORM objects), in
    the session's transaction and tenant schema."""
    batch = list(rows)
    if batch:
        await session.execute(insert(model.__table__), batch)
