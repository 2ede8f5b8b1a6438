from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LICENSING_", extra="ignore")

    port: int = 8102
    signing_key: SecretStr | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs licences"
    )
    signing_key_file: Path = Field(
        default=Path(".dotmac/licensing/signing-key.pem"),
        description="Where the key is read from (and created on first start) without signing_key",
    )
    licence_validity_days: int = Field(default=365, ge=1, le=3660)
