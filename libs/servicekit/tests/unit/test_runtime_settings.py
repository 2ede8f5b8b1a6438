"""What a service's runtime takes from the platform settings."""

import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData

from servicekit.config import PlatformSettings
from servicekit.messaging import messaging_tables
from servicekit.runtime import Runtime


def test_a_runtime_keeps_as_many_database_connections_as_it_is_told(monkeypatch):
    monkeypatch.setenv("DOTMAC_DATABASE_CONNECTIONS", "7")
    runtime = Runtime(
        name="kit", settings=PlatformSettings(), tables=messaging_tables(MetaData(schema="kit"))
    )
    assert runtime.db.engine.pool.size() == 7


def test_too_few_database_connections_are_refused(monkeypatch):
    monkeypatch.setenv("DOTMAC_DATABASE_CONNECTIONS", "1")  # the listener alone takes one
    with pytest.raises(ValidationError, match="database_connections"):
        PlatformSettings()
