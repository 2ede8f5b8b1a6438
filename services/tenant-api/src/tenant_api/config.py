from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TENANT_API_", extra="ignore")

    port: int = 8106

    database_url: str | None = Field(
        default=None,
        description="How the service connects: as a role that owns no table, so row-level "
        "security binds it. Default: the platform database as role dotmac_tenant_api.",
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr("dev-only-tenant-api-jwt-secret-change-me"),
        description="Signs access tokens (HS256); the same on every replica",
    )
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=30 * 86400, ge=3600)

    def service_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        url = make_url(self.platform.database_url).set(username="dotmac_tenant_api", password=None)
        return url.render_as_string(hide_password=False)
