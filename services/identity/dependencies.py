"""identity's own nameko dependency providers: its token policy and its password hashing."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from kernel.config import settings_of
from services.identity.credentials import PasswordHashing
from services.identity.domain import TokenPolicy, common_passwords


class TokenSettings(DependencyProvider):
    """Gives a worker the ``TokenPolicy`` (issuer, audience, lifetimes) of the service's settings."""

    def setup(self):
        settings = settings_of(self.container)
        self.policy = TokenPolicy(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            access_ttl_seconds=settings.access_token_ttl_seconds,
            refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        )

    def get_dependency(self, worker_ctx):
        return self.policy


class Passwords(DependencyProvider):
    """Gives a worker the container's ``PasswordHashing`` (one, so its dummy hash is made once).

    The common-passwords list is read at start, so a package without it fails then, not at the
    first registration.
    """

    def setup(self):
        common_passwords()
        self.hashing = PasswordHashing()

    def get_dependency(self, worker_ctx):
        return self.hashing
