"""Network's event subscribers: tenant-api's device inventory in."""

from faststream.asgi import AsgiFastStream

from network.bootstrap import Network
from servicekit.serving import Role

TITLE = "DotMac network"
DESCRIPTION = "Device inventory in; live device telemetry out."


def create_stream(network: Network) -> AsgiFastStream:
    return network.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(network: Network) -> Role:
    return Role(running=lambda: create_stream(network))
