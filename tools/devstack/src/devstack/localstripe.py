"""python -m devstack.localstripe --port N: localstripe (a stateful fake of Stripe's API), in
memory, on 127.0.0.1.

Not localstripe's own command line, because that binds ``::`` (every interface, IPv4 and IPv6)
and pickles its whole store to ``/tmp/localstripe.pickle`` on every write, loading it back at
the next start: one file shared by every instance on the machine (the dev stack and each test
session), so state would leak between them. Here the store's ``dump_to_disk`` is a no-op before
anything is stored, nothing is loaded, and the app listens on 127.0.0.1 only.
"""

import argparse
import logging

from localstripe.resources import Store
from localstripe.server import app, web  # web: aiohttp's, as localstripe runs it

from devstack.ports import LOCALHOST


def _keep_in_memory(self: Store) -> None:
    """Replaces ``Store.dump_to_disk``: the store lives and dies with the process."""


Store.dump_to_disk = _keep_in_memory  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description="localstripe, in memory, on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    access_log = logging.getLogger("aiohttp.access")
    access_log.setLevel(logging.INFO)
    access_log.addHandler(logging.StreamHandler())  # webhook deliveries are logged here too
    web.run_app(app, host=LOCALHOST, port=args.port, access_log=access_log, shutdown_timeout=1)


if __name__ == "__main__":
    main()
