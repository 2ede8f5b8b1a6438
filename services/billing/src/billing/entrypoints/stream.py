"""Billing's event subscribers: sign-ups, licences and the tier catalogue in."""

from faststream.asgi import AsgiFastStream

from billing.bootstrap import Billing
from servicekit.serving import Role

TITLE = "DotMac billing"
DESCRIPTION = "The platform's billing of ISPs: sign-ups, licences and tier prices in."


def create_stream(billing: Billing) -> AsgiFastStream:
    return billing.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(billing: Billing) -> Role:
    return Role(running=lambda: create_stream(billing))
