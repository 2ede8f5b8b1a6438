from pathlib import Path

from billing.config import Settings
from servicekit.cli import main

raise SystemExit(
    main(
        name="billing",
        app_factory="billing.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
    )
)
