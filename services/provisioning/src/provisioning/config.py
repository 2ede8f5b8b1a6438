from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROVISIONING_", extra="ignore")

    port: int = 8103
    task_queue: str = Field(default="provisioning-onboarding", description="Temporal task queue")
    run_worker: bool = Field(
        default=True,
        description="Run the Temporal worker in the API process (split it out to scale)",
    )
    step_timeout_s: float = 60
    step_max_attempts: int = Field(
        default=8, description="Tries of a step before it fails for good"
    )
