"""Who is calling: the check behind ``route(..., auth=True)``. It fails closed for now.

Access tokens are issued and verified by the identity service through the kernel's token
verification, which does not exist yet. Until it does, an ``auth=True`` operation answers 401 to
every request — documented in OpenAPI as bearer-protected, and never open by accident. When the
verifier lands, ``authenticate`` returns the verified actor and ``route`` passes it to the handler.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from kernel import errors

#: the OpenAPI security scheme ``auth=True`` operations declare
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
BEARER_SCHEME_NAME = "bearerAuth"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(request: Request) -> None:
    """Refuse the request: without a token (401), and with one, since none can be verified yet (401)."""
    if bearer_token(request) is None:
        raise errors.Unauthenticated("Send an access token: Authorization: Bearer <token>.")
    raise errors.Unauthenticated("Access tokens cannot be verified yet; this operation is closed.")
