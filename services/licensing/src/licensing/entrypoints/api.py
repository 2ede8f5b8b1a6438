"""Licensing's HTTP API."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from licensing.bootstrap import Licensing
from licensing.catalogue.endpoints import router as catalogue
from licensing.catalogue.publishing import announce_catalog
from licensing.licences.endpoints import internal_router
from licensing.licences.endpoints import router as licences
from servicekit.http import create_service_app, internal_caller
from servicekit.serving import Role


def create_app(licensing: Licensing) -> FastAPI:
    @asynccontextmanager
    async def catalog_announced() -> AsyncIterator[None]:
        await announce_catalog(licensing.runtime)
        yield

    return create_service_app(
        name="licensing",
        title="DotMac licensing",
        description="Tiers, plugins and the signed licences that say what each ISP may use.",
        state={"runtime": licensing.runtime, "licensing": licensing},
        routers=(
            catalogue,
            licences,
            internal_router(internal_caller(licensing.settings.platform)),
        ),
        background=(catalog_announced,),
    )


def role(licensing: Licensing) -> Role:
    return Role(app=create_app(licensing))
