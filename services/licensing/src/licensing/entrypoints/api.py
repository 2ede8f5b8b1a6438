from datetime import timedelta

from fastapi import FastAPI

from licensing.catalogue.endpoints import router as catalogue
from licensing.catalogue.publishing import catalog_announced
from licensing.config import Settings
from licensing.licences.endpoints import internal_router
from licensing.licences.endpoints import router as licences
from licensing.licences.signing import LicenceSigner
from licensing.licences.subscribers import licence_subscriptions
from licensing.models import messaging
from servicekit.http import create_service_app, internal_caller
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_tracing("licensing", settings.platform)
    signer = (
        LicenceSigner.from_pem(settings.signing_key.get_secret_value().encode())
        if settings.signing_key
        else LicenceSigner.from_file(settings.signing_key_file)
    )
    runtime = Runtime(name="licensing", settings=settings.platform, tables=messaging)
    app = create_service_app(
        name="licensing",
        title="DotMac licensing",
        description="Tiers, plugins and the signed licences that say what each ISP may use.",
        runtime=runtime,
        routers=(catalogue, licences, internal_router(internal_caller(settings.platform))),
        background=(catalog_announced,),
        subscriptions=licence_subscriptions(
            outbox=runtime.outbox,
            signer=signer,
            validity=timedelta(days=settings.licence_validity_days),
        ),
    )
    app.state.licence_signer = signer
    app.state.licence_validity_days = settings.licence_validity_days
    return app
