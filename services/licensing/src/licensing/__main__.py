from pathlib import Path

from licensing.config import Settings
from servicekit.cli import main

raise SystemExit(
    main(
        name="licensing",
        app_factory="licensing.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
    )
)
