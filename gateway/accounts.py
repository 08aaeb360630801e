"""`/v1/auth/*`, `/v1/me` and `/.well-known/jwks.json`: the identity service's public face.

The gateway checks the shape of each body (a malformed email is a 400 here); the identity service
applies the rules (duplicate email 409, weak password 422 saying why, wrong credentials 401) and the
gateway maps its exceptions through the kernel's one table.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema

#: a password longer than this is refused before hashing (hashing is deliberately slow)
MAX_PASSWORD = 1024
LOCALE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Not a language tag such as en or fr-CA.")


class RegistrationSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    locale = fields.String(load_default="en", validate=LOCALE)


class CredentialsSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_PASSWORD))


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=512))


class ProfileChangesSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    locale = fields.String(validate=LOCALE)
    bio = fields.String(validate=validate.Length(max=2000), allow_none=True)
    avatar_url = fields.Url(schemes={"http", "https"}, allow_none=True, validate=validate.Length(max=2000))
    languages = fields.List(fields.String(validate=LOCALE), validate=validate.Length(max=20))
    expertise = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50))


class UserSchema(ResponseSchema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    locale = fields.String(required=True)
    bio = fields.String(allow_none=True)
    avatar_url = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    expertise = fields.List(fields.String())
    platform_role = fields.String(required=True, metadata={"enum": ["admin", "community_creator", "member"]})
    email_verified = fields.Boolean(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class TokenPairSchema(ResponseSchema):
    access_token = fields.String(required=True, metadata={"description": "A JWT (EdDSA) for `Authorization: Bearer`."})
    refresh_token = fields.String(
        required=True,
        metadata={
            "description": "Opaque; single use: each refresh "
            "returns a new one, and reusing an old one ends the session."
        },
    )
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds the access token stays valid."})


class JwkSchema(ResponseSchema):
    kty = fields.String(required=True)
    crv = fields.String(required=True)
    x = fields.String(required=True)
    kid = fields.String(required=True)
    alg = fields.String(required=True)
    use = fields.String(required=True)


class JwksSchema(ResponseSchema):
    keys = fields.List(fields.Nested(JwkSchema), required=True)


class AccountRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the identity service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "POST",
        "/v1/auth/register",
        summary="Create an account",
        tags=["auth"],
        body=RegistrationSchema,
        response=UserSchema,
        status=201,
        responses={409: "The email is already registered.", 422: "The password is too weak (says why)."},
    )
    def register(self, request, body):
        """Registers a member with an email, a password (12 characters at least, not a common one) and a
        display name. With the default configuration the new member can log in at once."""
        return self.services.call(
            "identity", "register", body["email"], body["password"], body["display_name"], body["locale"]
        )

    @route(
        "POST",
        "/v1/auth/token",
        summary="Log in",
        tags=["auth"],
        body=CredentialsSchema,
        response=TokenPairSchema,
        responses={401: "Wrong email or password.", 429: "Too many failed attempts."},
    )
    def token(self, request, body):
        """Exchanges an email and a password for an access token and a refresh token."""
        return self.services.call("identity", "issue_tokens", body["email"], body["password"], request.remote_addr)

    @route(
        "POST",
        "/v1/auth/refresh",
        summary="Refresh the tokens",
        tags=["auth"],
        body=RefreshSchema,
        response=TokenPairSchema,
        responses={401: "The refresh token is unknown, expired or was already used."},
    )
    def refresh(self, request, body):
        """Exchanges a refresh token for a new pair. Each refresh token works once: presenting one that
        was already used ends its whole session (a stolen token is useless after its first use)."""
        return self.services.call("identity", "refresh", body["refresh_token"])

    @route("POST", "/v1/auth/logout", summary="Log out", tags=["auth"], body=RefreshSchema, status=204)
    def logout(self, request, body):
        """Ends the session the refresh token belongs to. Always 204: it says nothing about the token."""
        self.services.call("identity", "logout", body["refresh_token"])

    @route("GET", "/v1/me", summary="My account", tags=["me"], response=UserSchema, auth=True)
    def me(self, request, actor):
        return self.services.call("identity", "get_me", actor.as_dict())

    @route(
        "PATCH",
        "/v1/me",
        summary="Change my profile",
        tags=["me"],
        body=ProfileChangesSchema,
        response=UserSchema,
        auth=True,
    )
    def update_me(self, request, body, actor):
        return self.services.call("identity", "update_me", actor.as_dict(), body)

    @route("GET", "/.well-known/jwks.json", summary="Token signing keys", tags=["auth"], response=JwksSchema)
    def jwks(self, request):
        """The public keys that verify access tokens (RFC 7517). Keys stay listed until every token they
        signed has expired, so a rotation logs nobody out."""
        keys = JwksSchema().dump(self.services.call("identity", "jwks"))
        return Response(
            JwksSchema().dumps(keys), content_type="application/json", headers={"Cache-Control": "public, max-age=300"}
        )
