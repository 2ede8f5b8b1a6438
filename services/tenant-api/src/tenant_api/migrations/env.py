from servicekit.migrations import run_env
from tenant_api.models import SCHEMAS, metadata

run_env(metadata, SCHEMAS)
