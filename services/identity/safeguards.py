"""Pure rules of account recovery and abuse protection: one-time tokens and sign-in throttles.

No nameko, no SQL: every function takes the time it needs as ``now``, so the rules are unit-tested
with fixed clocks.

One-time tokens (email verification, password reset) are random, mailed to the user, and stored only
as their SHA-256: a leaked table verifies nothing and resets nothing. A token works once, before it
expires, for the purpose it was made for.

Sign-in throttles count failures per *key* — an account (the SHA-256 of the normalised email, the
same for registered and unknown addresses, so a refusal never tells which) and a client address.
``max_failures`` failures within ``window`` lock the key; each lockout lasts twice the previous one
(``first_lockout``, twice that, four times… capped at ``max_lockout``). A key left alone for ``forget_after`` starts
again from nothing.
"""

from __future__ import annotations

import enum
import hashlib
import math
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

#: bytes of entropy in a mailed token (256 bits)
ONE_TIME_TOKEN_BYTES = 32
#: token purposes, as stored
VERIFY_EMAIL = "verify-email"
PASSWORD_RESET = "password-reset"  # noqa: S105 - a purpose, not a password
#: how long a mailed token works
TOKEN_LIFETIMES = {VERIFY_EMAIL: timedelta(hours=48), PASSWORD_RESET: timedelta(hours=1)}
#: at most this many reset mails per account per hour; more requests are answered alike but send nothing
MAX_RESET_MAILS_PER_HOUR = 3


# -- one-time tokens ------------------------------------------------------------------------------


def new_one_time_token() -> str:
    """A random, URL-safe token to mail (never stored as such)."""
    return secrets.token_urlsafe(ONE_TIME_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up as. A fast hash suffices: 256 random bits
    cannot be found from their digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(purpose: str, now: datetime) -> datetime:
    return now + TOKEN_LIFETIMES[purpose]


@dataclass(frozen=True)
class OneTimeTokenState:
    """What is stored about a presented token."""

    purpose: str
    expires_at: datetime
    used_at: datetime | None
    user_active: bool


def token_is_usable(state: OneTimeTokenState | None, purpose: str, now: datetime) -> bool:
    """True for a known, unused, unexpired token of ``purpose`` whose account still exists.

    Callers answer every other case alike (``invalid-token``): whether a token was used, expired or
    never existed is nobody's business.
    """
    return (
        state is not None
        and state.purpose == purpose
        and state.used_at is None
        and now < state.expires_at
        and state.user_active
    )


def may_send_reset_mail(recent_requests: int) -> bool:
    """Whether another reset mail may go out, given the reset tokens made for the account in the last hour."""
    return recent_requests < MAX_RESET_MAILS_PER_HOUR


# -- sign-in throttles ----------------------------------------------------------------------------


class ThrottleScope(enum.Enum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    first_lockout: timedelta
    max_lockout: timedelta
    forget_after: timedelta = timedelta(hours=24)


#: an account: 5 failures in 15 minutes; an address (a NAT may hide many people): 20
ACCOUNT_POLICY = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1))
ADDRESS_POLICY = ThrottlePolicy(20, timedelta(minutes=15), timedelta(minutes=1), timedelta(hours=1))
POLICIES = {ThrottleScope.ACCOUNT: ACCOUNT_POLICY, ThrottleScope.ADDRESS: ADDRESS_POLICY}


@dataclass(frozen=True)
class Throttle:
    """The stored state of one key."""

    failures: int = 0
    window_started_at: datetime | None = None
    lockouts: int = 0
    locked_until: datetime | None = None
    updated_at: datetime | None = None


def throttle_key(scope: ThrottleScope, value: str) -> str:
    """The stored key: an account is its normalised email's SHA-256 (no address in clear), an address itself."""
    if scope is ThrottleScope.ACCOUNT:
        return "account:" + hashlib.sha256(value.encode()).hexdigest()
    return "address:" + value


def lockout_length(lockouts: int, policy: ThrottlePolicy) -> timedelta:
    """How long the ``lockouts``-th lockout (1-based) lasts: first_lockout doubled each time, capped."""
    if lockouts < 1:
        raise ValueError("lockouts count from 1")
    doublings = min(lockouts - 1, 32)  # beyond 2**32 minutes the cap has long applied
    return min(policy.first_lockout * 2**doublings, policy.max_lockout)


def retry_after_seconds(throttle: Throttle | None, now: datetime) -> int | None:
    """Whole seconds until ``throttle`` lets a sign-in through (rounded up), or None if it is not locked."""
    if throttle is None or throttle.locked_until is None or throttle.locked_until <= now:
        return None
    return max(1, math.ceil((throttle.locked_until - now).total_seconds()))


def after_failure(throttle: Throttle | None, policy: ThrottlePolicy, now: datetime) -> Throttle:
    """The state after one more failure: counted in the current window (or a new one), and locked
    — for twice as long as the previous lockout — when the window reaches ``max_failures``."""
    current = throttle or Throttle()
    if current.updated_at is not None and now - current.updated_at >= policy.forget_after:
        current = Throttle()
    in_window = current.window_started_at is not None and now - current.window_started_at < policy.window
    failures = current.failures + 1 if in_window else 1
    window_started_at = current.window_started_at if in_window else now
    if failures < policy.max_failures:
        return replace(current, failures=failures, window_started_at=window_started_at, updated_at=now)
    lockouts = current.lockouts + 1
    return Throttle(
        failures=0,
        window_started_at=None,
        lockouts=lockouts,
        locked_until=now + lockout_length(lockouts, policy),
        updated_at=now,
    )


def just_locked(before: Throttle | None, after: Throttle) -> bool:
    """Whether the failure that turned ``before`` into ``after`` started a lockout."""
    return after.locked_until is not None and (before is None or before.locked_until != after.locked_until)
