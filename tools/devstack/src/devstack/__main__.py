"""`python -m devstack up [--detach] | down | status`: what make up, down and status run."""

from __future__ import annotations

import argparse
import logging
import sys

from devstack.stack import Stack, StackError, StatePaths
from devstack.wiring import Ports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Run the whole DotMac platform on 127.0.0.1: PostgreSQL, NATS, Temporal, "
        "every service and the Caddy gateway. State, logs and PID files live in .dotmac/ at the "
        "repository root (or $DOTMAC_HOME). Ports come from DOTMAC_*_PORT and <SERVICE>_PORT "
        "environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser(
        "up", help="start everything (foreground: Ctrl-C stops what it started)"
    )
    up.add_argument(
        "--detach", action="store_true", help="return once everything is ready, leave it running"
    )
    up.add_argument(
        "--traces",
        action="store_true",
        help="also start Phoenix (installed on first use) and send every service's spans to it",
    )
    commands.add_parser("down", help="stop every component a PID file names")
    commands.add_parser("status", help="show what runs and whether it answers")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        traces = getattr(args, "traces", False)
        stack = Stack(Ports.from_env(), StatePaths.locate(), traces=traces)
    except (StackError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    if args.command == "up":
        return stack.up(detach=args.detach)
    if args.command == "down":
        return stack.down()
    return stack.status()


if __name__ == "__main__":
    raise SystemExit(main())
