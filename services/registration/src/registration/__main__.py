from pathlib import Path

from registration.config import Settings
from servicekit.cli import main

raise SystemExit(
    main(
        name="registration",
        app_factory="registration.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
    )
)
