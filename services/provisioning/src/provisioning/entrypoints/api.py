from fastapi import FastAPI

from provisioning.bootstrap import Provisioning
from provisioning.config import Settings
from servicekit.http import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    provisioning = Provisioning(settings or Settings())
    app = create_service_app(
        name="provisioning",
        title="DotMac provisioning",
        description="Onboards ISPs through Temporal workflows, followed in the Temporal UI.",
        runtime=provisioning.runtime,
        subscriptions=provisioning.subscriptions() if provisioning.settings.run_consumers else (),
        background=(provisioning.connected,),
    )
    app.state.provisioning = provisioning
    return app
