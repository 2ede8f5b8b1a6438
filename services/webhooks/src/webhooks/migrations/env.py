from servicekit.migrations import run_env
from webhooks.models import metadata

run_env(metadata)
