from pathlib import Path

from registration.bootstrap import bootstrap
from registration.config import Settings
from registration.entrypoints import api, stream
from servicekit.cli import main

raise SystemExit(
    main(
        name="registration",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role},
    )
)
