"""The monorepo's boundaries, checked on every run: services never import each other, and the
contracts stay pure data."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registration", "licensing", "provisioning", "billing", "network", "tenant-api")


LAYERS = "tenant-api's contexts stand on the kernel and never import a sibling"
TENANT_API = ROOT / "services/tenant-api/src/tenant_api"


def lint_imports(*offenders: tuple[Path, str]) -> subprocess.CompletedProcess[str]:
    """Run import-linter, with each (path, source) written for the run and removed after."""
    try:
        for path, source in offenders:
            path.write_text(source)
        linter = Path(sys.executable).parent / "lint-imports"
        return subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    finally:
        for path, _ in offenders:
            path.unlink(missing_ok=True)


def test_import_contracts_hold():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Services never import each other KEPT" in result.stdout
    assert f"{LAYERS} KEPT" in result.stdout


def test_the_import_contract_would_catch_a_service_importing_another():
    """The check above can fail: a service module importing another service breaks it."""
    result = lint_imports(
        (ROOT / "services/billing/src/billing/_boundary_probe.py", "import registration.models\n")
    )
    assert result.returncode != 0
    assert "billing" in result.stdout and "registration" in result.stdout


def test_the_layers_contract_would_catch_a_context_importing_a_sibling():
    """A tenant-api context (support) importing another (customers) breaks the layers
    contract, and so does the kernel (tenancy) importing a context."""
    result = lint_imports(
        (TENANT_API / "support/_probe.py", "import tenant_api.customers.service\n"),
        (TENANT_API / "tenancy/_probe.py", "import tenant_api.billing.plans.service\n"),
    )
    assert result.returncode != 0
    assert f"{LAYERS} BROKEN" in result.stdout
    assert "tenant_api.support is not allowed to import tenant_api.customers" in result.stdout
    assert "tenant_api.tenancy is not allowed to import tenant_api.billing" in result.stdout


def test_every_service_is_a_package_with_its_own_dependencies_and_migrations():
    for name in SERVICES:
        root = ROOT / "services" / name
        module = name.replace("-", "_")
        assert (root / "pyproject.toml").is_file()
        assert "dotmac-servicekit" in (root / "pyproject.toml").read_text()
        assert (root / "src" / module / "__main__.py").is_file()
        assert list((root / "src" / module / "migrations" / "versions").glob("*.py")), name


def test_each_service_migration_matches_its_models(migrated_database):
    """A model changed without a migration shows up here, not in production."""
    import asyncio
    import importlib

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    async def drift(module: str) -> list:
        models = importlib.import_module(f"{module}.models")
        metadata = models.metadata
        schemas = set(getattr(models, "SCHEMAS", (metadata.schema,)))
        engine = create_async_engine(migrated_database)

        def compare(connection):
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_schemas": True,
                    "include_name": lambda name, type_, parent: (
                        (type_ != "schema" or name in schemas) and name != "alembic_version"
                    ),
                },
            )
            return compare_metadata(context, metadata)

        async with engine.connect() as connection:
            differences = await connection.run_sync(compare)
        await engine.dispose()
        return differences

    for name in SERVICES:
        module = name.replace("-", "_")
        assert asyncio.run(drift(module)) == [], f"{module}: models and migrations differ"


def test_the_compose_gateway_config_matches_the_dev_stack_routes():
    from devstack.compose import GATEWAY_JSON, chart_copies, render

    assert GATEWAY_JSON.read_text() == render(), (
        "deploy/compose/gateway.json is stale: run `python -m devstack.compose` and commit it"
    )
    for copy, text in chart_copies().items():
        assert copy.exists() and copy.read_text() == text, (
            f"{copy} is stale: run `python -m devstack.compose` and commit it"
        )


def test_docker_compose_runs_every_process_the_dev_stack_runs():
    import yaml

    from devstack.wiring import SERVICES

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for process in SERVICES:
        assert process.name in compose, f"docker-compose.yml lacks {process.name}"
        assert compose[process.name]["command"] == ["python", *process.command]


def test_every_foreign_key_of_every_service_has_an_index_that_leads_with_it():
    """Deleting a row makes Postgres find the rows that refer to it; without an index on the
    referring column that is a scan of the whole table for each row deleted (dropping a tenant
    once took minutes this way)."""
    import importlib

    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    Keys = (PrimaryKeyConstraint, UniqueConstraint)
    missing = []
    for name in SERVICES:
        models = importlib.import_module(f"{name.replace('-', '_')}.models")
        for table in models.metadata.sorted_tables:
            indexed = [*table.indexes, *(c for c in table.constraints if isinstance(c, Keys))]
            leading = {next(iter(i.columns)).name for i in indexed if i.columns}
            for key in table.foreign_keys:
                if key.parent.name not in leading:
                    missing.append(f"{table.fullname}.{key.parent.name}")
    assert not missing, f"foreign keys without an index leading with them: {missing}"
