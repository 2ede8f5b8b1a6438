from pathlib import Path

from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import api
from servicekit.cli import main

raise SystemExit(
    main(
        name="network",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        roles={"api": api.role},
    )
)
