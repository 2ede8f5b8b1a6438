from pathlib import Path

from provisioning.bootstrap import bootstrap
from provisioning.config import Settings
from provisioning.entrypoints import api, stream, worker
from servicekit.cli import main

raise SystemExit(
    main(
        name="provisioning",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "worker": worker.role, "stream": stream.role},
    )
)
