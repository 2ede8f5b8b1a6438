from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TENANT_API_", extra="ignore")

    port: int = 8106
