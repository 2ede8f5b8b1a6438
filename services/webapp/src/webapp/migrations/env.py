from servicekit.migrations import run_env
from webapp.models import metadata

run_env(metadata)
