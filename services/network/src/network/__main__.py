from pathlib import Path

from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import api, poll, stream
from servicekit.cli import main

raise SystemExit(
    main(
        name="network",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role, "poll": poll.role},
    )
)
