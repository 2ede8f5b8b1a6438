"""Licensing's event subscribers: an activated tenant gets its licence, a converted demo its
new tier, an ISP that is gone loses it; customer counts are kept for tier changes."""

from faststream.asgi import AsgiFastStream

from licensing.bootstrap import Licensing
from servicekit.serving import Role

TITLE = "DotMac licensing"
DESCRIPTION = "Licences and the tier catalogue out; tenant activations, counts and exits in."


def create_stream(licensing: Licensing) -> AsgiFastStream:
    return licensing.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(licensing: Licensing) -> Role:
    return Role(running=lambda: create_stream(licensing))
