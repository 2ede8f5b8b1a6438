"""Engine, sessions and the unit of work. Service code never commits: the boundary does."""

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from sqlalchemy import BindParameter, Table, bindparam, event, insert
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


FIRST_NORMAL_OID = 16384
"""Postgres's first object id for objects made after initdb: below it, the built-in ones."""


class _Connection(asyncpg.Connection):
    """asyncpg's connection, which can send statements of its own along with the BEGIN of its
    next transaction, in the same round trip (`begin_with`), and which learns a built-in type
    asyncpg has no codec for once per process rather than once per connection
    (`_introspect_types`)."""

    __slots__ = ("_begin_with",)

    _built_in_types: dict[frozenset[int], list[Any]] = {}
    """What Postgres said of sets of built-in types (array types, say: bigint[]), by their ids;
    the same in every database of every server, and never changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._begin_with = ""

    def begin_with(self, statements: str) -> None:
        """Send `statements` (SQL with no parameters) with the next BEGIN; "" sends none."""
        self._begin_with = statements

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        if self._begin_with and not args and query.startswith("BEGIN"):
            query, self._begin_with = f"{query}{self._begin_with}", ""
        return await super().execute(query, *args, timeout=timeout)

    async def _introspect_types(self, typeoids: Any, timeout: Any) -> tuple[list[Any], Any]:
        """asyncpg asks Postgres about each type it has no codec for, such as `bigint[]` (the
        outbox relay's parameter), once per connection, with a recursive query over the
        catalogs that takes Postgres 20-80 ms to plan on a fresh backend. Every process has
        tens of connections: the first burst after a start paid for it on each (about 1.5 s
        of Postgres's time in 50 onboardings). Built-in types are answered from what an
        earlier connection of this process learnt."""
        wanted = frozenset(typeoids)
        known = self._built_in_types.get(wanted)
        if known is not None:
            # Nothing was sent, so the statement being prepared is intact: a named stand-in
            # for the introspection's statement tells asyncpg not to prepare it again.
            return known, _ANSWERED_HERE
        types, statement = await super()._introspect_types(typeoids, timeout)  # type: ignore[misc]
        if all(oid < FIRST_NORMAL_OID for oid in wanted):
            self._built_in_types[wanted] = list(types)
        return types, statement


class _AnsweredHere:
    name = "answered-without-asking"


_ANSWERED_HERE = _AnsweredHere()


def _tenant_setting(tenant: UUID) -> str:
    # Inlined, not a parameter: a simple query (BEGIN's) takes none. A UUID's text is hex
    # digits and dashes only, so nothing can be smuggled through it.
    return f"SELECT set_config('app.tenant_id', '{UUID(str(tenant))}', true);"


class Database:
    def __init__(self, url: str, *, connections: int = 30) -> None:
        """At most `connections` at once, opened as needed (or all at once, `open_all`) and
        then kept (not closed when a burst is over, as overflow connections are): a connection
        costs ~8 ms of CPU to open, most of it Postgres starting a backend, against ~0.6 ms for
        a transaction on one already open, and a burst of 50 onboardings opened and closed ~50
        of them."""
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=connections,
            max_overflow=0,
            pool_recycle=1800,
            # The connection used last is handed out first: a burst that needs a few at once
            # keeps to a few, whose statements asyncpg has prepared already, rather than
            # going round all of them and preparing each statement on each.
            pool_use_lifo=True,
            connect_args={"connection_class": _Connection},
        )
        event.listen(self.engine.sync_engine.pool, "checkin", _forget_tenant)
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={DATABASE: self}
        )
        self._placement: Placement | None = None
        self._listeners: dict[str, list[Heard]] = {}
        self.mark = uuid4().hex[:12]
        """Tells this database's NOTIFYs, heard as they commit, from other processes' ones."""

    async def open_all(self, warm: Iterable[Table] = ()) -> None:
        """Open every connection of the pool now, rather than as work first needs them, and
        have each one's backend read the description of the `warm` tables (and of their
        indexes and policies) once. A backend starts with none of it, so the first statement
        touching a table on it costs more than the next; a first burst, spread over every
        connection of every service's pool, paid for it hundreds of times over."""
        pool = self.engine.pool
        assert isinstance(pool, QueuePool)
        connections = await asyncio.gather(
            *(self.engine.connect().start() for _ in range(pool.size() - pool.checkedout()))
        )
        warming = _warming(warm)
        if warming:
            await asyncio.gather(*(_warm(connection, warming) for connection in connections))
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
            if tenant is None:
                yield session
            else:
                # The tenant is set by the transaction's BEGIN itself, in its round trip,
                # rather than by a statement of its own: one round trip of the three or four
                # that most requests make. The BEGIN is sent with the first statement.
                # Kept until the connection goes back to the pool (`_forget_tenant`): a unit
                # of work that only adds objects sends its first statement as it commits.
                (await _driver_connection(session)).begin_with(_tenant_setting(tenant))
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


def _warming(tables: Iterable[Table]) -> str:
    """One round trip that plans a read of each table: each planned in a block of its own, so
    one the connection's role may not read is skipped (the role of a service under row-level
    security reads its own tables, not every table of its metadata)."""
    names = sorted({(t.schema or "public", t.name) for t in tables})
    if not names:
        return ""
    listed = ", ".join(f"'{_literal(schema)}.{_literal(name)}'" for schema, name in names)
    return (
        "DO $warm$ DECLARE t text; BEGIN FOREACH t IN ARRAY ARRAY[" + listed + "] LOOP "
        "BEGIN EXECUTE format('SELECT * FROM %I.%I LIMIT 0', split_part(t, '.', 1), "
        "split_part(t, '.', 2)); EXCEPTION WHEN OTHERS THEN NULL; END; END LOOP; END $warm$"
    )


def _literal(identifier: str) -> str:
    # Our own tables' names: letters, digits and underscores (a dot would split wrongly).
    assert identifier.replace("_", "").isalnum(), identifier
    return identifier


async def _warm(connection: AsyncConnection, warming: str) -> None:
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.execute(warming)


def _forget_tenant(dbapi_connection: Any, _record: Any) -> None:
    """A tenant set for a unit of work whose transaction never began (it sent no statement)
    is not carried to the connection's next user."""
    if dbapi_connection is not None:
        dbapi_connection.driver_connection.begin_with("")


async def _driver_connection(session: AsyncSession) -> _Connection:
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert isinstance(driver, _Connection)
    return driver


async def insert_rows(session: AsyncSession, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` into `model`'s table in batched multi-row INSERTs (no ORM objects), in
    the session's transaction and tenant schema."""
    batch = list(rows)
    if batch:
        await session.execute(insert(model.__table__), batch)
