"""Runs in Phoenix's own virtualenv (`devstack.phoenix`): `phoenix serve`, with its OTLP/gRPC
receiver on 127.0.0.1 instead of every interface (Phoenix has no setting for it)."""

import sys

import grpc.aio

_make_server = grpc.aio.server


def _loopback_server(*args, **kwargs):  # type: ignore[no-untyped-def]
    server = _make_server(*args, **kwargs)
    add_insecure_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_insecure_port(  # type: ignore[method-assign]
        address.replace("[::]", "127.0.0.1")
    )
    return server


grpc.aio.server = _loopback_server

from phoenix.server.main import main  # noqa: E402  (after the patch above)

sys.argv = ["phoenix", "serve"]
main()
