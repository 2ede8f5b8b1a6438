"""Registration's event subscribers: provisioning's deployment and demo events, applied to
the status read models."""

from faststream.asgi import AsgiFastStream

from registration.bootstrap import Registration
from servicekit.serving import Role

TITLE = "DotMac registration"
DESCRIPTION = "ISP sign-ups and demo requests out; deployment and demo progress in."


def create_stream(registration: Registration) -> AsgiFastStream:
    return registration.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(registration: Registration) -> Role:
    return Role(running=lambda: create_stream(registration))
