from servicekit.migrations import run_env
from tenant_api.models import metadata

run_env(metadata)
