from pathlib import Path

from servicekit.cli import main
from tenant_api.bootstrap import bootstrap
from tenant_api.config import Settings
from tenant_api.entrypoints import api, stream
from tenant_api.entrypoints.demo_data import DEMO_DATA

raise SystemExit(
    main(
        name="tenant-api",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role},
        commands=[DEMO_DATA],
    )
)
