from pathlib import Path

from servicekit.cli import main
from webhooks.bootstrap import bootstrap
from webhooks.config import Settings
from webhooks.entrypoints import api, deliver, stream

raise SystemExit(
    main(
        name="webhooks",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        stream=stream.create_stream,
        roles={"api": api.role, "stream": stream.role, "deliver": deliver.role},
    )
)
