from pathlib import Path

from servicekit.cli import main
from webapp.bootstrap import bootstrap
from webapp.config import Settings
from webapp.entrypoints import api

raise SystemExit(
    main(
        name="webapp",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        bootstrap=bootstrap,
        roles={"api": api.role},
    )
)
