"""Identity's rules, free of nameko and SQL: what a strong password is, what an email address is
once normalised, what an access token claims, when a refresh token may be rotated and when a
signing key stops being published. Every function takes the time it needs as ``now``.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

#: shorter passwords are refused (NIST SP 800-63B asks for at least 8; we ask for more)
MIN_PASSWORD_LENGTH = 12
#: a longer input is refused before it is hashed (argon2 would hash megabytes on request)
MAX_PASSWORD_LENGTH = 1024
#: a local part shorter than this is not looked for in the password ("a@x.org" would forbid every "a")
MIN_LOCAL_PART_CHECKED = 3

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

#: a retired signing key stays in the JWKS this long after the last token it signed expires:
#: verifiers' clock skew and leeway, and caches that fetched the JWKS a little earlier
KEY_RETIREMENT_MARGIN = timedelta(minutes=5)

#: the profile fields ``update_me`` may change, in the order they are reported as changed
PROFILE_FIELDS = ("display_name", "locale", "bio", "avatar_url", "languages", "expertise")

#: a short BCP 47 tag: language (2-3 letters), then optional script (4 letters) and region (2 letters
#: or 3 digits), e.g. en, fr, it, en-GB, zh-Hant-TW, es-419
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Za-z]{2}|[0-9]{3}))?$")


# -- email addresses ---------------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """The form an address is stored and compared in: surrounding spaces removed, lowercase.

    Lowercasing the local part is stricter than RFC 5321 allows, but no mail provider people use
    distinguishes ``Ana@`` from ``ana@``, and two accounts that differ only by case are a support
    problem and a phishing aid.
    """
    return raw.strip().lower()


def local_part(email: str) -> str:
    return email.rpartition("@")[0]


# -- passwords --------------------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lowercase (read once)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


@dataclass(frozen=True)
class WeakPassword:
    """Why a password is refused: a stable ``code`` for programs and a ``message`` for people."""

    code: str
    message: str


def password_weaknesses(password: str, email: str, common: Collection[str] | None = None) -> list[WeakPassword]:
    """Every reason ``password`` is too weak for the account ``email``; empty when it is strong enough."""
    common = common_passwords() if common is None else common
    reasons = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(WeakPassword("too-short", f"It has fewer than {MIN_PASSWORD_LENGTH} characters."))
    if password.lower() in common:
        reasons.append(WeakPassword("too-common", "It is one of the most commonly used passwords."))
    local = local_part(normalize_email(email))
    if len(local) >= MIN_LOCAL_PART_CHECKED and local in password.lower():
        reasons.append(WeakPassword("contains-email", "It contains the email address's name."))
    return reasons


# -- locales and profiles ---------------------------------------------------------------------


def canonical_language_tag(tag: str) -> str | None:
    """``tag`` in canonical case (``en-gb`` → ``en-GB``, ``zh-hant`` → ``zh-Hant``); None if it is not
    a short BCP 47 tag."""
    if not LANGUAGE_TAG.match(tag):
        return None
    language, *rest = tag.split("-")
    parts = [language.lower()]
    for part in rest:
        parts.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(parts)


def changed_fields(current: Mapping[str, object], changes: Mapping[str, object]) -> list[str]:
    """The profile fields whose value in ``changes`` differs from ``current``, in PROFILE_FIELDS order."""
    return [name for name in PROFILE_FIELDS if name in changes and changes[name] != current.get(name)]


# -- access tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPolicy:
    """Who signs access tokens, for whom, and how long tokens live (from the service's settings)."""

    issuer: str
    audience: str
    access_ttl_seconds: int
    refresh_ttl_seconds: int


def registered_event(user: Mapping) -> dict:
    """The data of ``user.registered``: what other services display, no email or other personal data."""
    return {
        "user_id": str(user["id"]),
        "display_name": user["display_name"],
        "locale": user["locale"],
        "registered_at": user["created_at"],
    }


def access_claims(
    user_id: str,
    platform_role: str,
    policy: TokenPolicy,
    now: datetime,
    jti: str,
    affiliation: str = "public",
    organization_id: str | None = None,
    expert: bool = False,
) -> dict:
    """The claims of a new access token (the contract is in ``kernel.auth``).

    ``role``, ``aff``, ``org`` and ``exp_v`` are the user's standing when the token is issued; a
    token issued before a change keeps its claims until it expires.
    """
    issued_at = int(now.timestamp())
    return {
        "iss": policy.issuer,
        "aud": policy.audience,
        "sub": user_id,
        "iat": issued_at,
        "exp": issued_at + policy.access_ttl_seconds,
        "jti": jti,
        "role": platform_role,
        "aff": affiliation,
        "org": organization_id,
        "exp_v": expert,
    }


def token_pair(access_token: str, refresh_token: str, policy: TokenPolicy) -> dict:
    """What ``issue_tokens`` and ``refresh`` answer."""
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": policy.access_ttl_seconds,
    }


# -- refresh tokens ----------------------------------------------------------------------------


def refresh_token_digest(token: str) -> str:
    """The SHA-256 (hex) a refresh token is stored and looked up as; the token itself is never stored.

    A fast hash is enough: the token has 256 bits of entropy, so it cannot be guessed from its digest.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshVerdict(enum.Enum):
    ROTATE = "rotate"  # valid: mark it used and issue the next token of its family
    REUSED = "reused"  # used or revoked before: revoke the family, it may have been stolen
    INVALID = "invalid"  # unknown, expired, or its user is gone


@dataclass(frozen=True)
class RefreshTokenState:
    """What is known about a presented refresh token."""

    expires_at: datetime
    used_at: datetime | None
    family_revoked_at: datetime | None
    user_active: bool


def judge_refresh(state: RefreshTokenState | None, now: datetime) -> RefreshVerdict:
    """Whether a presented refresh token is rotated, betrays reuse, or is simply invalid.

    Reuse wins over expiry: a used token shown again means two parties hold the family, whatever
    its age, and the family's newest token may still be live.
    """
    if state is None:
        return RefreshVerdict.INVALID
    if state.used_at is not None or state.family_revoked_at is not None:
        return RefreshVerdict.REUSED
    if state.expires_at <= now or not state.user_active:
        return RefreshVerdict.INVALID
    return RefreshVerdict.ROTATE


# -- signing keys ------------------------------------------------------------------------------


def key_retires_at(superseded_at: datetime, access_ttl_seconds: int) -> datetime:
    """When a key that stopped signing at ``superseded_at`` leaves the JWKS: after every token it
    signed has expired, plus KEY_RETIREMENT_MARGIN."""
    return superseded_at + timedelta(seconds=access_ttl_seconds) + KEY_RETIREMENT_MARGIN


def key_is_published(superseded_at: datetime | None, access_ttl_seconds: int, now: datetime) -> bool:
    """A key is in the JWKS while it signs, and after that until ``key_retires_at``."""
    return superseded_at is None or now < key_retires_at(superseded_at, access_ttl_seconds)
