"""The composition root: everything licensing's entry points and tests use, built from its
settings."""

from dataclasses import dataclass
from datetime import timedelta

from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
)
from licensing.config import Settings
from licensing.licences.signing import LicenceSigner
from licensing.licences.subscribers import SUBSCRIBERS
from licensing.models import messaging
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing

PUBLISHES = (
    LicenceIssued,
    LicenceChanged,
    LicenceSuspended,
    LicenceReinstated,
    LicenceRevoked,
    TierCatalogPublished,
)


@dataclass
class Licensing:
    settings: Settings
    runtime: Runtime
    signer: LicenceSigner

    @property
    def validity(self) -> timedelta:
        """How long a licence issued now is valid."""
        return timedelta(days=self.settings.licence_validity_days)


def bootstrap(settings: Settings | None = None) -> Licensing:
    settings = settings or Settings()
    configure_tracing("licensing", settings.platform)
    signer = (
        LicenceSigner.from_pem(settings.signing_key.get_secret_value().encode())
        if settings.signing_key
        else LicenceSigner.from_file(settings.signing_key_file)
    )
    runtime = Runtime(
        name="licensing",
        settings=settings.platform,
        tables=messaging,
        publishes=PUBLISHES,
        subscribers=SUBSCRIBERS,
    )
    licensing = Licensing(settings=settings, runtime=runtime, signer=signer)
    runtime.broker.context.set_global("licence_signer", signer)
    runtime.broker.context.set_global("licence_validity", licensing.validity)
    return licensing
