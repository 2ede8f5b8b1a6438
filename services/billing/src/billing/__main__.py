from pathlib import Path

from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints import api
from servicekit.cli import main

raise SystemExit(
    main(
        name="billing",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        roles={"api": api.role},
    )
)
