"""Port helpers for the dev stack and for test fixtures.

Tests start their own servers on ports the kernel hands out (``free_port``) so that they never
collide with a developer's running dev stack. Servers that are stopped and started again on the
same port (NATS in the reconnect tests, Temporal whose process lingers ~3 s after SIGTERM) need
``wait_port_free`` before the new process binds, or it fails with "address already in use".
"""

from __future__ import annotations

import socket
import time

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    The kernel picks it (bind to port 0). There is an unavoidable window between closing this
    probe socket and the server binding the port; ephemeral ports are handed out round-robin, so
    a collision inside one test session is very unlikely.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1: each probe socket stays bound until all
    are picked, so two calls of `free_port()` in a row cannot hand out the same port twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((LOCALHOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_udp_port() -> int:
    """Return a UDP port on 127.0.0.1 that nothing is bound to right now (SNMP agents)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """True if a server could bind ``host:port`` (TCP) now.

    SO_REUSEADDR is set as the Go and C servers we run set it, so connections lingering in
    TIME_WAIT do not count as "in use"; a listening socket (ours or anyone's) does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_is_open(port: int, host: str = LOCALHOST, timeout: float = 0.5) -> bool:
    """True if something accepts a TCP connection on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port_free(port: int, timeout: float = 10, host: str = LOCALHOST) -> None:
    """Block until ``host:port`` can be bound; raise ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not port_is_free(port, host):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"port {host}:{port} is still in use after {timeout:g} s")
        time.sleep(0.05)


def wait_port_open(port: int, timeout: float = 10, host: str = LOCALHOST) -> None:
    """Block until something accepts TCP connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while not port_is_open(port, host):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing accepts connections on {host}:{port} after {timeout:g} s")
        time.sleep(0.05)
