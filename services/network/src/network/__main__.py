from pathlib import Path

from network.config import Settings
from servicekit.cli import main

raise SystemExit(
    main(
        name="network",
        app_factory="network.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
    )
)
