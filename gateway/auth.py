"""Who is calling: the check behind ``route(..., auth=True)``.

The gateway verifies access tokens itself (``kernel.auth.TokenVerifier``): no RPC per request. The
identity service's public keys are fetched by RPC (``identity.jwks``) the first time a token names a
key the gateway does not know — at start, and after a key rotation — and kept. A route declared with
``auth=True`` receives the verified ``actor`` (``kernel.auth.Actor``); a missing, malformed, forged or
expired token is a 401 problem before the handler runs. A service class without the ``Authenticator``
dependency fails closed: every ``auth=True`` operation answers 401.
"""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from nameko.rpc import ReplyListener
from werkzeug.wrappers import Request

from gateway.rpc import ServiceClient
from kernel import errors
from kernel.auth import Actor, TokenVerifier, bearer_token
from kernel.config import settings_of

#: the OpenAPI security scheme ``auth=True`` operations declare
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
BEARER_SCHEME_NAME = "bearerAuth"


class WorkerAuthenticator:
    """One worker's view: ``actor(request)`` verifies the request's bearer token."""

    def __init__(self, verifier: TokenVerifier, services: ServiceClient):
        self.verifier = verifier
        self.services = services

    def actor(self, request: Request) -> Actor:
        token = bearer_token(request.headers.get("Authorization"))
        return self.verifier.verify(token, fetch_jwks=lambda: self.services.call("identity", "jwks"))


class Authenticator(DependencyProvider):
    """Holds the container's token verifier and its cache of identity's public keys."""

    reply_listener = ReplyListener()

    def setup(self):
        settings = settings_of(self.container)
        self.timeout = settings.rpc_timeout
        self.verifier = TokenVerifier(settings.token_issuer, settings.token_audience, min_refresh_seconds=1.0)

    def get_dependency(self, worker_ctx):
        return WorkerAuthenticator(self.verifier, ServiceClient(worker_ctx, self.reply_listener, self.timeout))


def authenticate(service, request: Request) -> Actor:
    """The verified actor of ``request`` for ``service`` (a gateway service instance)."""
    authenticator = getattr(service, "authenticator", None)
    if not isinstance(authenticator, WorkerAuthenticator):
        raise errors.Unauthenticated("This operation is closed: the service verifies no tokens.")
    return authenticator.actor(request)
