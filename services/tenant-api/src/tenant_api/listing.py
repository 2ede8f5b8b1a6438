"""What every list of tenant-api shares: paging, free-text matching, and CSV export.

A list answers JSON, a page at a time, or — when the client asks for `text/csv` — every row
that matches its filters as one CSV file (the ISP's export; it comes with `basic_reporting`).
"""

import csv
import functools
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Row, RowMapping, Select, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.validation import SearchTerm
from tenant_api.deps import CurrentTenant, composed

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound="Page[Any]")
M = TypeVar("M", bound=BaseModel)
CSV = "text/csv"
EXPORT_PLUGIN = Plugin.BASIC_REPORTING
EXPORT_MAX_ROWS = 200_000

Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]
SearchText = SearchTerm


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="how many match, over every page")
    limit: int
    offset: int


@dataclass(frozen=True)
class Prepared:
    """A list's query built once for its shape (which filters it has, in which order it is
    sorted) and kept, with this request's values for its parameters. Building a query and its
    cache key costs SQLAlchemy more CPU than running it; a kept one has its key already."""

    statement: Select[Any]
    params: Mapping[str, Any]


def _paged(query: Select[Any]) -> Select[Any]:
    """`query` a page at a time (`_limit`, `_offset`), each row counting them all (`_total`)."""
    counted = query.add_columns(func.count().over().label("_total"))
    return counted.limit(bindparam("_limit")).offset(bindparam("_offset"))


_kept_paged = functools.cache(_paged)
"""`_paged`, kept for a `Prepared` query, as long as the query is."""


class Paging:
    """`limit` and `offset` of a list, or every row when the list is exported as CSV."""

    def __init__(self, *, export: bool, limit: int, offset: int) -> None:
        self.export = export
        self.limit = EXPORT_MAX_ROWS if export else limit
        self.offset = 0 if export else offset

    async def fetch(self, session: AsyncSession, query: Select[Any]) -> tuple[list[Any], int]:
        """The page of `query`'s rows, and how many there are in all (one round trip: the
        total rides along each row as a window count)."""
        rows, total = await self._fetch(session, query)
        return [row[0] for row in rows], total

    async def fetch_mappings(
        self, session: AsyncSession, query: Select[Any] | Prepared
    ) -> tuple[list[RowMapping], int]:
        """As `fetch`, for a query of columns (Core): each row as a mapping of its columns.
        A page read only to be answered needs no ORM objects, which cost more to build than
        the rest of the request's reading."""
        rows, total = await self._fetch(session, query)
        return [row._mapping for row in rows], total

    async def _fetch(
        self, session: AsyncSession, query: Select[Any] | Prepared
    ) -> tuple[list[Row[Any]], int]:
        if isinstance(query, Prepared):
            statement, params = query.statement, dict(query.params)
            paged = _kept_paged(statement)
        else:
            statement, params = query, {}
            paged = _paged(statement)
        params |= {"_limit": self.limit, "_offset": self.offset}
        rows = (await session.execute(paged, params)).all()
        if rows:
            return list(rows), rows[0]._total
        if self.offset == 0:
            return [], 0
        counting = select(func.count()).select_from(statement.subquery())
        total = await session.scalar(counting, params)
        return [], total or 0

    def page(self, model: type[P], items: list[Any], total: int) -> P:
        return model(items=items, total=total, limit=self.limit, offset=self.offset)

    def respond(self, page: Page[T], name: str) -> Page[T] | Response:
        if not self.export:
            return page
        return csv_response(page.items, name)


async def paging(
    request: Request,
    tenant: CurrentTenant,
    limit: Annotated[Limit, Query(description="rows per page")] = 50,
    offset: Annotated[Offset, Query(description="rows to skip")] = 0,
) -> Paging:
    export = wants_csv(request)
    if export:
        composed(request).entitlements.require(tenant.id, EXPORT_PLUGIN)
    return Paging(export=export, limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def wants_csv(request: Request) -> bool:
    return CSV in request.headers.get("accept", "")


class Export:
    """For a short list answered whole (a customer's holds, the tax rates): JSON, or the
    same rows as CSV when the client asks for `text/csv` (with basic_reporting, as every
    list's export)."""

    def __init__(self, *, wanted: bool) -> None:
        self.wanted = wanted

    def respond(self, listed: M, items: Sequence[BaseModel], name: str) -> M | Response:
        return csv_response(items, name) if self.wanted else listed


async def export(request: Request, tenant: CurrentTenant) -> Export:
    wanted = wants_csv(request)
    if wanted:
        composed(request).entitlements.require(tenant.id, EXPORT_PLUGIN)
    return Export(wanted=wanted)


ExportDep = Annotated[Export, Depends(export)]


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """`column` contains `text`, case-insensitively, with `%` and `_` taken literally."""
    return matches(column, literal(like_pattern(text)))


def matches(
    column: Any, pattern: ColumnElement[str], *, lowered: bool = False
) -> ColumnElement[bool]:
    """`column` matches `pattern` (a `like_pattern`: a literal, or a bound parameter of a query
    built once), case-insensitively. Both sides are lower-cased by Postgres, so they agree on
    every alphabet; a column stored `lowered` already is compared as it is, so its trigram
    index serves the search."""
    return (column if lowered else func.lower(column)).like(func.lower(pattern), escape="\\")


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) matching any text that contains `text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def csv_response(items: Sequence[BaseModel], name: str) -> Response:
    rows = [_flatten(item.model_dump(mode="json")) for item in items]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(_defuse(row) for row in rows)
    return Response(
        out.getvalue(),
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV: {"schema": {"type": "string"}}},
        "description": "The page as JSON; with `Accept: text/csv`, every matching row as CSV "
        "(needs basic_reporting)",
    }
}


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}."))
        elif isinstance(item, list):
            flat[f"{prefix}{key}"] = "; ".join(str(i) for i in item)
        else:
            flat[f"{prefix}{key}"] = item
    return flat


_NUMBER = re.compile(r"[+-]?[0-9][0-9 .]*")


def _defuse(row: dict[str, Any]) -> dict[str, Any]:
    """Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is quoted with an
    apostrophe, so an exported name cannot attack whoever opens the file. Plain numbers (a
    phone number's `+`) are left as they are."""
    return {k: _defused(v) if isinstance(v, str) else v for k, v in row.items()}


def _defused(value: str) -> str:
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
        return f"'{value}"
    return value
