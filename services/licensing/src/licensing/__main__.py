from pathlib import Path

from licensing.bootstrap import bootstrap
from licensing.config import Settings
from licensing.entrypoints import api, stream
from servicekit.cli import main

raise SystemExit(
    main(
        name="licensing",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role},
    )
)
