from pathlib import Path

from provisioning.config import Settings
from servicekit.cli import main

raise SystemExit(
    main(
        name="provisioning",
        app_factory="provisioning.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
    )
)
