"""Connecting to NATS and declaring the JetStream streams of `dotmac_contracts.STREAMS`."""

import logging

import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from dotmac_contracts import STREAMS

log = logging.getLogger(__name__)


async def connect(url: str, *, name: str) -> Client:
    """A client that keeps reconnecting for as long as the process lives."""

    async def on_disconnect() -> None:
        log.warning("%s: disconnected from NATS", name)

    async def on_reconnect() -> None:
        log.info("%s: reconnected to NATS", name)

    async def on_error(e: Exception) -> None:
        log.debug("%s: NATS error: %r", name, e)

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )


async def ensure_streams(js: JetStreamContext) -> None:
    """Create every stream, or bring an existing one's config up to date. Idempotent."""
    for stream in STREAMS:
        config = StreamConfig(
            name=stream.name,
            subjects=list(stream.subjects),
            description=stream.description,
            storage=StorageType.FILE,
            max_age=stream.max_age_s,
            duplicate_window=stream.duplicate_window_s,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)


async def ensure_consumers(js: JetStreamContext, broker: NatsBroker) -> None:
    """Create the durable consumer of each of `broker`'s JetStream subscribers, or bring its
    config up to date (the subjects it filters on, say), before the subscribers bind to them:
    binding alone would keep whatever config the durable was first created with."""
    for subscriber in broker.subscribers:
        stream = getattr(subscriber, "stream", None)
        config = getattr(subscriber, "config", None)
        if stream is None or not isinstance(config, ConsumerConfig) or not config.durable_name:
            continue
        await js.add_consumer(stream.name, config=config)
