from fastapi import FastAPI

from registration.bootstrap import bootstrap
from registration.config import Settings
from registration.demos.endpoints import router as demos
from registration.demos.subscribers import SUBSCRIPTIONS as DEMO_SUBSCRIPTIONS
from registration.deployments.endpoints import router as deployments
from registration.deployments.subscribers import SUBSCRIPTIONS
from registration.deployments.watch import DeploymentWatch
from registration.isps.endpoints import router as isps
from servicekit.http import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    watch = DeploymentWatch()
    settings = settings or Settings()
    app = create_service_app(
        name="registration",
        title="DotMac registration",
        description="ISPs sign up here and follow their onboarding.",
        runtime=bootstrap(settings),
        routers=(isps, deployments, demos),
        subscriptions=[*SUBSCRIPTIONS, *DEMO_SUBSCRIPTIONS],
        background=(watch.running,),
    )
    app.state.deployment_watch = watch
    app.state.settings = settings
    return app
