"""Access tokens: what they claim and how any process verifies them locally.

Identity signs short-lived JWTs with an Ed25519 key (``alg`` EdDSA) named by ``kid`` and publishes
the public keys as a JWKS (``GET /.well-known/jwks.json``). Everyone else verifies with
``TokenVerifier``: no RPC per request — the keys are cached and fetched again only when a token names a
``kid`` the cache does not know (a rotation), at most once per ``min_refresh_seconds``. A token it
verified is remembered (by its SHA-256, never in clear) until it expires or its key leaves the key
set, so a client's next requests cost a lookup, not a signature check.

Claims (all required): ``iss``, ``aud``, ``sub`` (user id), ``iat``, ``exp``, ``jti``, ``role``
(platform role: admin | community_creator | member), ``aff`` (affiliation: employee | partner | customer
| public), ``org`` (organization id or null), ``exp_v`` (verified expert: bool).
Forged, expired, wrong-issuer, wrong-audience, unknown-key and ``alg=none`` tokens raise
``errors.Unauthenticated`` with a specific ``code``.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kernel import errors
from kernel.lru import LRU

ALGORITHM = "EdDSA"
PLATFORM_ROLES = ("admin", "community_creator", "member")
AFFILIATIONS = ("employee", "partner", "customer", "public")
REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "jti"]
#: verified tokens a ``TokenVerifier`` remembers (least recently used first out)
REMEMBERED_TOKENS = 10_000


@dataclass(frozen=True)
class Actor:
    """Who is asking: read from a verified access token."""

    user_id: str
    platform_role: str = "member"
    affiliation: str = "public"
    organization_id: str | None = None
    expert: bool = False
    token_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.platform_role == "admin"

    def as_dict(self) -> dict:
        """The form that travels in RPC calls."""
        return {
            "user_id": self.user_id,
            "platform_role": self.platform_role,
            "affiliation": self.affiliation,
            "organization_id": self.organization_id,
            "expert": self.expert,
            "token_id": self.token_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Actor:
        return cls(
            **{k: data[k] for k in ("user_id", "platform_role", "affiliation", "organization_id", "expert")},
            token_id=data.get("token_id", ""),
        )

    @classmethod
    def from_claims(cls, claims: dict) -> Actor:
        role = claims.get("role")
        affiliation = claims.get("aff")
        if role not in PLATFORM_ROLES or affiliation not in AFFILIATIONS:
            raise errors.Unauthenticated("The access token's claims are not valid.", code="invalid-token")
        return cls(
            user_id=str(claims["sub"]),
            platform_role=role,
            affiliation=affiliation,
            organization_id=claims.get("org"),
            expert=bool(claims.get("exp_v", False)),
            token_id=str(claims["jti"]),
        )


def actor_of(data: object) -> Actor:
    """The ``Actor`` an RPC was called for (``Actor.as_dict()``); raises Unauthenticated without one."""
    if not isinstance(data, dict) or not data.get("user_id"):
        raise errors.Unauthenticated("This operation needs an authenticated user.", code="unauthenticated")
    try:
        return Actor.from_dict(data)
    except KeyError as exc:
        raise errors.InvalidInput(f"The actor misses {exc}.", code="invalid-actor") from None


def optional_actor(data: object) -> Actor | None:
    """``actor_of`` for operations open to anonymous visitors: ``None`` stands for one."""
    return None if data is None else actor_of(data)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(kid: str, public_key: Ed25519PublicKey) -> dict:
    """The RFC 8037 JWK of an Ed25519 public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "alg": ALGORITHM, "use": "sig"}


def public_key_of(jwk: dict) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "x" not in jwk:
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))


def sign(claims: dict, kid: str, private_key: Ed25519PrivateKey) -> str:
    """A signed access token (used by identity, which holds the private keys)."""
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid})


class TokenVerifier:
    """Verifies access tokens against a cached JWKS fetched with ``fetch_jwks``."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        fetch_jwks: Callable[[], dict] | None = None,
        min_refresh_seconds: float = 5.0,
        leeway_seconds: int = 5,
        clock: Callable[[], float] = time.time,
    ):
        self.issuer = issuer
        self.audience = audience
        self.fetch_jwks = fetch_jwks
        self.min_refresh_seconds = min_refresh_seconds
        self.leeway = leeway_seconds
        self.clock = clock
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        #: sha256(token) -> (actor, expiry, kid) of the tokens verified lately
        self._verified: LRU[bytes, tuple[Actor, float, str]] = LRU(REMEMBERED_TOKENS)

    def _refresh(self, kid: str, fetch_jwks: Callable[[], dict] | None) -> None:
        """Fetch the keys again, at most once per ``min_refresh_seconds``: a request naming an unknown
        key waits for the next allowed fetch instead of failing (a rotation is seen at once), and a
        flood of forged ``kid``s costs one fetch per interval, not one per request."""
        fetch = fetch_jwks or self.fetch_jwks
        if fetch is None:
            return
        with self._lock:
            if kid in self._keys:  # fetched by another request while this one waited for the lock
                return
            wait = self.min_refresh_seconds - (time.monotonic() - self._fetched_at)
            if wait > 0:
                time.sleep(wait)
            self._fetched_at = time.monotonic()
            document = fetch()
            keys = {}
            for jwk in document.get("keys", []):
                try:
                    keys[jwk["kid"]] = public_key_of(jwk)
                except (KeyError, ValueError):
                    continue
            self._keys = keys

    def _key(self, kid: str, fetch_jwks: Callable[[], dict] | None) -> Ed25519PublicKey:
        key = self._keys.get(kid)
        if key is None:
            self._refresh(kid, fetch_jwks)
            key = self._keys.get(kid)
        if key is None:
            raise errors.Unauthenticated("The access token was signed with an unknown key.", code="invalid-token")
        return key

    def verify(self, token: str, fetch_jwks: Callable[[], dict] | None = None) -> Actor:
        """The actor a valid token names; ``fetch_jwks`` (else the constructor's) loads unknown keys."""
        digest = hashlib.sha256(token.encode()).digest()
        known = self._verified.get(digest)
        if known is not None:
            actor, expires, kid = known
            if self.clock() < expires and kid in self._keys:
                return actor
            self._verified.discard(digest)
        actor, expires, kid = self._check(token, fetch_jwks)
        self._verified.put(digest, (actor, expires, kid))
        return actor

    def _check(self, token: str, fetch_jwks: Callable[[], dict] | None) -> tuple[Actor, float, str]:
        """The actor of a token checked in full, the time it stops being valid, and its key's id."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise errors.Unauthenticated("The access token is malformed.", code="invalid-token") from None
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise errors.Unauthenticated("The access token's algorithm is not accepted.", code="invalid-token")
        key = self._key(header["kid"], fetch_jwks)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise errors.Unauthenticated("The access token has expired.", code="token-expired") from None
        except jwt.InvalidTokenError:
            raise errors.Unauthenticated("The access token is not valid.", code="invalid-token") from None
        # PyJWT refuses a token once ``exp + leeway`` is past: remembered until then, no longer
        return Actor.from_claims(claims), float(claims["exp"]) + self.leeway, header["kid"]


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; raises Unauthenticated."""
    if not authorization:
        raise errors.Unauthenticated("This operation needs an access token.", code="unauthenticated")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("Send the access token as `Authorization: Bearer <token>`.", code="invalid-token")
    return token.strip()
