from pathlib import Path

from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints import api, stream, worker
from servicekit.cli import main

raise SystemExit(
    main(
        name="billing",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role, "worker": worker.role},
    )
)
