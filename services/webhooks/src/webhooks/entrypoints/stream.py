"""Webhooks' event subscribers: every event with a public form, fanned out to endpoints."""

from faststream.asgi import AsgiFastStream

from servicekit.serving import Role
from webhooks.bootstrap import Webhooks

TITLE = "DotMac webhooks"
DESCRIPTION = "Every event that has a public form, made into messages and deliveries."


def create_stream(webhooks: Webhooks) -> AsgiFastStream:
    return webhooks.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(webhooks: Webhooks) -> Role:
    return Role(running=lambda: create_stream(webhooks))
