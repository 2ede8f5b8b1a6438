"""python -m devstack.fake_digitalocean --port N [--token T]"""

import argparse

import uvicorn

from devstack.fake_digitalocean.api import app


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake of DigitalOcean's v2 API, in memory.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--token", default=None, help="accept only this token (default: any)")
    args = parser.parse_args()
    uvicorn.run(app(args.token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
