"""What the composition root (`tenant_api.bootstrap`) builds: the parts every entry point, command
and test works with. Defined apart from the root so that the kernel (`deps`) can name it without
importing every context."""

from dataclasses import dataclass
from datetime import timedelta

from servicekit.mail import Mailer
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from tenant_api.config import Settings
from tenant_api.identity.auth.access import AccessGuard
from tenant_api.identity.auth.tokens import AccessTokens
from tenant_api.identity.auth.welcome import Welcome
from tenant_api.messagebus import MessageBus
from tenant_api.tenancy.entitlements.store import EntitlementStore
from tenant_api.tenancy.placement import Placements
from tenant_api.tenancy.tenants.directory import TenantDirectory


@dataclass
class TenantApi:
    settings: Settings
    runtime: Runtime
    entitlements: EntitlementStore
    access_guard: AccessGuard
    access_tokens: AccessTokens
    placements: Placements
    directory: TenantDirectory
    mailer: Mailer
    welcome: Welcome
    sealer: Sealer
    bus: MessageBus

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.refresh_token_ttl_s)
