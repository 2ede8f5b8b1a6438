"""localstripe as the dev stack and the test session run it (``devstack.localstripe``): on
127.0.0.1 only, in memory only, good enough for stripe-python, and delivering signed webhooks
that stripe-python verifies."""

import json
import queue
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import stripe

from devstack.components import ComponentError, LocalStripe
from devstack.ports import free_port
from devstack.stack import STRIPE_WEBHOOK_PATH, Stack
from devstack.state import StatePaths
from devstack.wiring import Ports

pytestmark = pytest.mark.integration

PICKLE = Path("/tmp/localstripe.pickle")  # where localstripe's own command line keeps its store


def client(server: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        server.SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0
    )


def pickle_state() -> tuple[int, int] | None:
    try:
        stat = PICKLE.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalStripe]:
    """A localstripe of the test's own, for what would leave traces in the session's."""
    server = LocalStripe(free_port(), tmp_path / "localstripe.log")
    server.start()
    server.wait_ready()
    yield server
    server.stop()


def test_it_answers_on_127_0_0_1_only(stripe_server: LocalStripe):
    assert stripe_server.url == f"http://127.0.0.1:{stripe_server.port}"
    assert stripe_server.probe()
    anonymous = httpx.get(f"{stripe_server.url}/v1/customers", trust_env=False)
    assert anonymous.status_code == 401
    if not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback to try ::1 on")
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("::1", stripe_server.port), timeout=2),
    ):
        pass


def test_stripe_python_creates_and_reads_back_a_customer(stripe_server: LocalStripe):
    stripe_client = client(stripe_server)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    created = stripe_client.v1.customers.create(
        params={"email": email, "name": "Acme Fiber", "metadata": {"isp_id": "isp-1"}}
    )
    assert created.id.startswith("cus_")
    read = stripe_client.v1.customers.retrieve(created.id)
    assert (read.id, read.email, read.name) == (created.id, email, "Acme Fiber")
    assert read.metadata["isp_id"] == "isp-1"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve("cus_nobody")


def test_nothing_is_written_to_or_read_from_the_temp_folder(tmp_path: Path):
    before = pickle_state()
    server = LocalStripe(free_port(), tmp_path / "localstripe.log")
    server.start()
    try:
        server.wait_ready()
        stripe_client = client(server)
        # A fresh instance knows no customer, even if some localstripe left a pickle behind.
        assert stripe_client.v1.customers.list().data == []
        customer = stripe_client.v1.customers.create(params={"email": "a@example.com"})
        stripe_client.v1.customers.update(customer.id, params={"name": "Changed"})
        stripe_client.v1.customers.delete(customer.id)
    finally:
        server.stop()
    assert not server.is_running()
    assert pickle_state() == before


class Receiver:
    """A small HTTP server on 127.0.0.1 that keeps every POST it receives."""

    def __init__(self) -> None:
        received: queue.Queue[tuple[bytes, str]] = queue.Queue()
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.put((body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def event_about(self, object_id: str, timeout: float = 15) -> tuple[bytes, str]:
        """The first delivery whose event is about ``object_id``."""
        while True:
            payload, signature = self.received.get(timeout=timeout)
            if json.loads(payload)["data"]["object"].get("id") == object_id:
                return payload, signature


def test_a_registered_webhook_receives_events_signed_with_its_secret(own_server: LocalStripe):
    secret = "whsec_test_" + uuid.uuid4().hex
    with Receiver() as receiver:
        own_server.register_webhook("test", receiver.url, secret)
        customer = client(own_server).v1.customers.create(params={"email": "b@example.com"})
        payload, signature = receiver.event_about(customer.id)
    event = stripe.Webhook.construct_event(payload, signature, secret)
    assert event.type == "customer.created"
    assert event.data.object["email"] == "b@example.com"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload.replace(b"b@example", b"c@example"), signature, secret
        )


def test_registering_a_webhook_localstripe_refuses_raises(own_server: LocalStripe):
    with pytest.raises(ComponentError, match="answered 400"):
        own_server.register_webhook("bad", "ftp://127.0.0.1/nowhere", "whsec_x")


def test_the_dev_stack_gives_billing_alone_its_stripe_and_keeps_the_webhook_secret(
    tmp_path: Path,
):
    ports = Ports.free()
    stack = Stack(ports, StatePaths(tmp_path, None), out=lambda _: None)
    assert stack.stripe in stack.infrastructure
    assert stack.stripe.port == ports.stripe
    billing = stack.services["billing"].env
    assert billing["BILLING_STRIPE_API_BASE"] == f"http://127.0.0.1:{ports.stripe}"
    assert billing["BILLING_STRIPE_API_KEY"].startswith("sk_test_")
    secret = billing["BILLING_STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("whsec_")
    assert (tmp_path / "secrets" / "stripe-webhook-secret").read_text() == secret
    assert stack.stripe_webhook_url == (
        f"http://127.0.0.1:{ports.service('billing')}{STRIPE_WEBHOOK_PATH}"
    )
    for name, process in stack.services.items():
        if name != "billing":
            assert not any(key.startswith("BILLING_STRIPE_") for key in process.env), name
    again = Stack(ports, StatePaths(tmp_path, None), out=lambda _: None)
    assert again.services["billing"].env["BILLING_STRIPE_WEBHOOK_SECRET"] == secret
