"""The command line of every service: `python -m <service> serve|migrate|revision`, and any
commands of the service's own."""

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from servicekit.config import ServiceSettings
from servicekit.http import serving_one_app
from servicekit.migrations import new_revision, upgrade


@dataclass(frozen=True)
class Command:
    """A command of a service's own: `arguments` adds its options, `run` does it (exit code)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def main(
    *,
    name: str,
    app_factory: str,
    migrations: Path,
    settings: ServiceSettings,
    commands: Sequence[Command] = (),
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {name.replace('-', '_')}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the service (API, relay, consumers, workers)")
    sub.add_parser("migrate", help="bring the service's schema up to date")
    revision = sub.add_parser("revision", help="autogenerate the next migration from the models")
    revision.add_argument("-m", "--message", required=True)
    own = {command.name: command for command in commands}
    for command in commands:
        command.arguments(sub.add_parser(command.name, help=command.help))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s"
    )
    if args.command in own:
        return own[args.command].run(args)
    if args.command == "migrate":
        upgrade(migrations, settings.platform.database_url)
        return 0
    if args.command == "revision":
        new_revision(migrations, settings.platform.database_url, args.message)
        return 0
    serving_one_app()
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="info",
    )
    return 0
