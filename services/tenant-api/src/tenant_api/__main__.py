from pathlib import Path

from servicekit.cli import main
from tenant_api.config import Settings
from tenant_api.demo.command import DEMO_DATA

raise SystemExit(
    main(
        name="tenant-api",
        app_factory="tenant_api.entrypoints.api:create_app",
        migrations=Path(__file__).parent / "migrations",
        settings=Settings(),
        commands=[DEMO_DATA],
    )
)
