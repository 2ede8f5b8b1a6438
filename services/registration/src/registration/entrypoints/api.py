"""Registration's HTTP API."""

from fastapi import FastAPI

from registration.bootstrap import Registration
from registration.demos.endpoints import router as demos
from registration.deployments.endpoints import router as deployments
from registration.isps.endpoints import router as isps
from registration.operator.endpoints import operator_router
from servicekit.http import create_service_app, operator_caller
from servicekit.serving import Role


def create_app(registration: Registration) -> FastAPI:
    return create_service_app(
        name="registration",
        title="DotMac registration",
        description="ISPs sign up here and follow their onboarding.",
        state={"runtime": registration.runtime, "registration": registration},
        routers=(
            isps,
            deployments,
            demos,
            operator_router(operator_caller(registration.settings.platform)),
        ),
        background=(lambda: registration.watch.running(registration.runtime),),
    )


def role(registration: Registration) -> Role:
    return Role(app=create_app(registration))
