"""The owner's account, made when the ISP's tenant opens, and the one-time link that lets them
choose a password. The link travels only by email: it is stored hashed, never logged."""

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.mail import Mailer
from tenant_api.identity.auth import repository
from tenant_api.identity.auth.passwords import hash_password
from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.schemas import TokenPair
from tenant_api.identity.auth.service import InvalidCredentials, create_user, signed_in
from tenant_api.identity.auth.tokens import AccessTokens, new_refresh_token, refresh_token_hash
from tenant_api.models import LoginLink, Tenant, User

LINK_VALIDITY = timedelta(hours=72)


class Welcome:
    def __init__(self, mailer: Mailer, gateway_url: str) -> None:
        self._mailer = mailer
        gateway = urlsplit(gateway_url)
        self._scheme = gateway.scheme
        self._port = f":{gateway.port}" if gateway.port else ""

    async def invite_owner(self, session: AsyncSession, tenant: Tenant, *, now: datetime) -> None:
        """Create the owner's account and invite them. `session` must be the tenant's unit of
        work (`unit_of_work(tenant=...)`): the owner's rows are the tenant's."""
        assert tenant.owner_email is not None
        owner = await create_user(
            session,
            tenant_id=tenant.id,
            email=tenant.owner_email,
            name=tenant.owner_name or tenant.owner_email,
            role=Role.OWNER,
            password=None,
            now=now,
        )
        await self.invite(session, tenant, owner, now=now)

    async def invite(
        self, session: AsyncSession, tenant: Tenant, user: User, *, now: datetime
    ) -> None:
        """Email `user` a one-time code to choose their first password."""
        token, digest = new_refresh_token()
        session.add(
            LoginLink(
                id=uuid.uuid4(),
                tenant_id=tenant.id,
                user_id=user.id,
                token_hash=digest,
                expires_at=now + LINK_VALIDITY,
            )
        )
        instance = f"{self._scheme}://{tenant.host}{self._port}"
        role = "its owner" if user.role == Role.OWNER else f"one of its users ({user.role})"
        await self._mailer.queue(
            session,
            to=user.email,
            subject=f"Your DotMac account for {tenant.name}",
            body=(
                f"Hello {user.name},\n\n"
                f"{tenant.name} runs on DotMac at {instance}\n\n"
                f"You are {role}. Choose your password within 72 hours at "
                f"{instance}/first-login with this one-time code:\n\n    {token}\n\n"
                f"(From a script: POST {instance}/api/v1/auth/first-login with "
                f'{{"token": "<the code>", "password": "<at least 12 characters>"}}.)\n\n'
                f"Then sign in at {instance}/signin with {user.email}.\n"
            ),
        )


async def first_login(session: AsyncSession, *, token: str, password: str, now: datetime) -> UUID:
    """Set the first password with a one-time link. Returns the user's id."""
    link = await repository.login_link_for_update(session, refresh_token_hash(token))
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise InvalidCredentials("This first-login code is unknown, used or expired.")
    link.used_at = now
    await repository.set_password_hash(session, link.user_id, await hash_password(password))
    return link.user_id


async def choose_first_password(
    session: AsyncSession,
    tokens: AccessTokens,
    *,
    token: str,
    password: str,
    now: datetime,
    refresh_ttl: timedelta,
) -> TokenPair:
    """Set the first password with a one-time link, and sign the user in."""
    user_id = await first_login(session, token=token, password=password, now=now)
    user = await repository.get_user(session, user_id)
    assert user is not None
    return await signed_in(session, tokens, user, now=now, refresh_ttl=refresh_ttl)
