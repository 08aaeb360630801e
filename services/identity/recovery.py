"""Identity's entrypoints for account recovery and abuse protection, mixed into ``IdentityService``:
email verification, password reset, password change, sign-in throttling and the admins' audit log.

- Tokens are mailed (``services.identity.mail``) and stored as SHA-256 only (``safeguards``).
  A used, expired or unknown token is one answer: 400 ``invalid-token``.
- ``request_password_reset`` answers the same whether or not the address is registered.
- Failed sign-ins (and failed current-password checks) count against the account and the client
  address in PostgreSQL, so every replica sees them; a locked key is refused with ``RateLimited``
  (429, ``Retry-After``) before any password is checked.
- Each of these leaves a security event (``security_events``) without any secret in it.

``REQUIRE_VERIFIED_EMAIL`` (environment, default false; read by ``RecoveryPolicy`` because the kernel's
``Settings`` has no such field yet) makes sign-in refuse accounts whose email is not verified.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from nameko.extensions import DependencyProvider

from kernel import errors
from kernel.db import Transaction
from kernel.entrypoints import rpc, timer
from kernel.events.catalog import USER_EMAIL_VERIFIED
from services.identity import domain, recovery_schemas, safeguards
from services.identity.credentials import PasswordHashing
from services.identity.mail import Mailer, Outbox
from services.identity.people_storage import PeopleStorage
from services.identity.recovery_storage import RecoveryStorage
from services.identity.safeguards import PASSWORD_RESET, VERIFY_EMAIL, ThrottleScope
from services.identity.schemas import actor_of, load
from services.identity.storage import IdentityStorage

ONE_TIME_TOKEN = recovery_schemas.OneTimeTokenInput()
RESET_REQUEST = recovery_schemas.PasswordResetRequest()
RESET_CONFIRMATION = recovery_schemas.PasswordResetConfirmation()
PASSWORD_CHANGE = recovery_schemas.PasswordChange()
AUDIT_QUERY = recovery_schemas.AuditQuery()
AUDIT_EVENTS = recovery_schemas.AuditEvent(many=True)

INVALID_TOKEN = "The token is not valid: it is unknown, was already used, or has expired."  # noqa: S105 - a message
#: throttles and tokens are purged this long after they stop mattering
PURGE_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class RecoveryOptions:
    require_verified_email: bool = False


class RecoveryPolicy(DependencyProvider):
    """Gives a worker the ``RecoveryOptions`` read from the environment at start."""

    def setup(self):
        raw = os.environ.get("REQUIRE_VERIFIED_EMAIL", "").strip().lower()
        if raw not in ("", "0", "1", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"REQUIRE_VERIFIED_EMAIL={raw!r} must be true or false")
        self.options = RecoveryOptions(require_verified_email=raw in ("1", "true", "yes", "on"))

    def get_dependency(self, worker_ctx):
        return self.options


class RecoveryEntrypoints:
    """Mixed into ``IdentityService``: ``self.db`` is the worker's transaction, ``self.now()`` its clock,
    ``self.passwords`` its argon2id hashing, ``self._commit_and_raise`` keeps what was recorded."""

    db: Transaction
    now: Callable[[], datetime]
    passwords: PasswordHashing
    _commit_and_raise: Callable[[errors.ServiceError], NoReturn]

    mail: Outbox = Mailer()  # a provider; the worker sees its Outbox
    recovery: RecoveryOptions = RecoveryPolicy()  # a provider; the worker sees its RecoveryOptions

    @property
    def records(self) -> RecoveryStorage:
        return RecoveryStorage(self.db)

    # -- email verification ----------------------------------------------------------------

    def start_email_verification(self, user: dict) -> None:
        """Store a verification token for a new ``user`` (its ``id``, ``email``, ``display_name``) and mail it."""
        token = self._new_token(str(user["id"]), VERIFY_EMAIL, self.now())
        self.mail.send(
            user["email"],
            "Confirm your email address",
            f"Hello {user['display_name']},\n\n"
            "to confirm that this address is yours, present this token within 48 hours"
            " (POST /v1/auth/verify-email):\n\n"
            f"Token: {token}\n\n"
            "If you did not create an eCommunity account, ignore this message.\n",
        )

    @rpc
    def verify_email(self, token):
        """Mark the token's account as verified; emits ``user.email_verified``. Raises InvalidInput
        (``invalid-token``) for a used, expired or unknown token."""
        digest = safeguards.token_digest(load(ONE_TIME_TOKEN, {"token": token})["token"])
        now = self.now()
        user_id = self._use_token(digest, VERIFY_EMAIL, now)
        self.records.mark_email_verified(user_id, now)
        self.records.audit("email.verified", user_id, None, now)
        self.db.emit(USER_EMAIL_VERIFIED, subject=f"user/{user_id}", data={"user_id": user_id, "verified_at": now})

    def refuse_unverified(self, user_id: str) -> None:
        """With ``REQUIRE_VERIFIED_EMAIL``, refuse to sign in an account whose email is not verified
        (called once the password was checked, so it tells nothing to who does not know it)."""
        if not self.recovery.require_verified_email:
            return
        account = self.records.account(user_id)
        if account is not None and not account["email_verified"]:
            raise errors.PermissionDenied(
                "Confirm your email address first: use the token we mailed you.", code="email-not-verified"
            )

    # -- password reset --------------------------------------------------------------------

    @rpc
    def request_password_reset(self, email, client_address=None):
        """Mail a reset token (1 hour) to a registered address. Answers None whether or not the address
        is registered; at most ``MAX_RESET_MAILS_PER_HOUR`` mails per account per hour."""
        data = load(RESET_REQUEST, {"email": email, "client_address": client_address})
        address = str(data["client_address"]) if data["client_address"] else None
        now = self.now()
        account = self.records.account_by_email(data["email"])
        if account is None:
            return
        user_id = str(account["id"])
        recent = self.records.tokens_since(user_id, PASSWORD_RESET, now - timedelta(hours=1))
        if not safeguards.may_send_reset_mail(recent):
            self.records.audit("password_reset.suppressed", user_id, address, now)
            return
        token = self._new_token(user_id, PASSWORD_RESET, now)
        self.records.audit("password_reset.requested", user_id, address, now)
        self.mail.send(
            account["email"],
            "Reset your password",
            "Someone (we hope you) asked to reset the password of your eCommunity account.\n\n"
            "To choose a new password, present this token within one hour"
            " (POST /v1/auth/password-reset/confirm):\n\n"
            f"Token: {token}\n\n"
            "If you did not ask, ignore this message: your password stays as it is.\n",
        )

    @rpc
    def reset_password(self, token, password):
        """Set a new password with a mailed reset token; every session of the account ends.
        Raises InvalidInput (``invalid-token``), Unprocessable (``weak-password``, token kept)."""
        data = load(RESET_CONFIRMATION, {"token": token, "password": password})
        digest = safeguards.token_digest(data["token"])
        now = self.now()
        found = self.records.token(digest)
        if found is None or not safeguards.token_is_usable(found[0], PASSWORD_RESET, now):
            raise errors.InvalidInput(INVALID_TOKEN, code="invalid-token")
        user_id = found[1]
        account = self.records.account(user_id, for_update=True)
        assert account is not None  # token_is_usable checked the user is live
        _refuse_weak(data["password"], account["email"])
        IdentityStorage(self.db).set_password_hash(user_id, self.passwords.hash(data["password"]), now)
        self.records.use_tokens(user_id, PASSWORD_RESET, now)
        ended = self.records.revoke_families(user_id, now)
        # the mailbox's owner proved who they are: a lockout on the account no longer protects anything
        self.records.forget_throttle(safeguards.throttle_key(ThrottleScope.ACCOUNT, account["email"]))
        self.records.audit("password.reset", user_id, None, now, {"sessions_ended": ended})

    # -- password change -------------------------------------------------------------------

    @rpc
    def change_password(self, actor, current_password, new_password, refresh_token=None, client_address=None):
        """Change the caller's password; every other session ends (all of them, when ``refresh_token``
        does not name the caller's own). A wrong current password is PermissionDenied
        (``invalid-credentials``) and counts as a failed sign-in; a weak new one Unprocessable."""
        user_id = actor_of(actor).user_id
        data = load(
            PASSWORD_CHANGE,
            {
                "current_password": current_password,
                "new_password": new_password,
                "refresh_token": refresh_token,
                "client_address": client_address,
            },
        )
        address = str(data["client_address"]) if data["client_address"] else None
        now = self.now()
        account = self.records.account(user_id, for_update=True) if _is_uuid(user_id) else None
        if account is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        self.refuse_throttled_login(account["email"], address, now)
        if not self.passwords.verify(account["password_hash"], data["current_password"]):
            self.records.audit("password.change_failed", user_id, address, now)
            self.count_failed_login(account["email"], user_id, address, now)
            self._commit_and_raise(
                errors.PermissionDenied("The current password is not correct.", code="invalid-credentials")
            )
        _refuse_weak(data["new_password"], account["email"])
        IdentityStorage(self.db).set_password_hash(user_id, self.passwords.hash(data["new_password"]), now)
        keep = None
        if data["refresh_token"]:
            family = self.records.family_of(domain.refresh_token_digest(data["refresh_token"]))
            keep = str(family["family_id"]) if family and str(family["user_id"]) == user_id else None
        ended = self.records.revoke_families(user_id, now, keep_family_id=keep)
        self.forget_failed_logins(account["email"])
        self.records.audit("password.changed", user_id, address, now, {"sessions_ended": ended})

    # -- sign-in throttling (called by issue_tokens) ---------------------------------------

    def refuse_throttled_login(self, email: str, client_address: str | None, now: datetime) -> None:
        """Raise RateLimited (with ``retry_after`` seconds) while the account or the address is locked."""
        keys = _throttle_keys(email, client_address)
        stored = self.records.throttles(list(keys.values()))
        waits = [s for s in (safeguards.retry_after_seconds(stored.get(key), now) for key in keys.values()) if s]
        if waits:
            raise errors.RateLimited(
                "Too many failed sign-ins. Try again later.", extra={"retry_after": max(waits)}, code="rate-limited"
            )

    def count_failed_login(self, email: str, user_id: str | None, client_address: str | None, now: datetime) -> None:
        """Count one failure against the account and the address; a lockout that starts is recorded."""
        keys = _throttle_keys(email, client_address)
        stored = self.records.throttles(sorted(keys.values()), for_update=True)
        for scope, key in keys.items():
            before = stored.get(key)
            after = safeguards.after_failure(before, safeguards.POLICIES[scope], now)
            self.records.save_throttle(key, after, now)
            if safeguards.just_locked(before, after):
                assert after.locked_until is not None
                seconds = int((after.locked_until - now).total_seconds())
                details = {"scope": scope.value, "seconds": seconds, "lockouts": after.lockouts}
                self.records.audit("login.locked", user_id, client_address, now, details)

    def forget_failed_logins(self, email: str) -> None:
        """A success resets the account's count (never the address's: one good password must not
        unlock an address that is guessing others')."""
        self.records.forget_throttle(safeguards.throttle_key(ThrottleScope.ACCOUNT, email))

    # -- audit -----------------------------------------------------------------------------

    @rpc
    def audit_events(self, actor, limit, before_id=None, user_id=None, kind=None):
        """Security events, newest first (at most ``limit``, strictly before ``before_id``), for admins
        only — checked against the caller's current role, not the token's. Raises PermissionDenied."""
        caller = actor_of(actor)
        query = load(AUDIT_QUERY, {"limit": limit, "before_id": before_id, "user_id": user_id, "kind": kind})
        role = PeopleStorage(self.db).platform_role(caller.user_id) if _is_uuid(caller.user_id) else None
        if role != "admin":
            raise errors.PermissionDenied("Only administrators may read the audit log.", code="forbidden")
        user = str(query["user_id"]) if query["user_id"] else None
        rows = self.records.audit_events(query["limit"], query["before_id"], user, query["kind"])
        return AUDIT_EVENTS.dump(rows)

    # -- housekeeping ----------------------------------------------------------------------

    @timer(interval=3600)
    def purge_recovery_state(self):
        """Forget expired tokens and idle throttles (they prove nothing after that)."""
        cutoff = self.now() - PURGE_AFTER
        self.records.delete_expired_tokens(cutoff)
        self.records.delete_idle_throttles(cutoff)

    # -- helpers ---------------------------------------------------------------------------

    def _new_token(self, user_id: str, purpose: str, now: datetime) -> str:
        token = safeguards.new_one_time_token()
        expires_at = safeguards.token_expiry(purpose, now)
        self.records.add_token(safeguards.token_digest(token), user_id, purpose, now, expires_at)
        return token

    def _use_token(self, digest: str, purpose: str, now: datetime) -> str:
        """The user id of a usable token, which is used up (with every other of its purpose)."""
        found = self.records.token(digest)
        if found is None or not safeguards.token_is_usable(found[0], purpose, now):
            raise errors.InvalidInput(INVALID_TOKEN, code="invalid-token")
        user_id = found[1]
        self.records.use_tokens(user_id, purpose, now)
        return user_id


def _throttle_keys(email: str, client_address: str | None) -> dict[ThrottleScope, str]:
    keys = {ThrottleScope.ACCOUNT: safeguards.throttle_key(ThrottleScope.ACCOUNT, domain.normalize_email(email))}
    if client_address:
        keys[ThrottleScope.ADDRESS] = safeguards.throttle_key(ThrottleScope.ADDRESS, client_address)
    return keys


def _refuse_weak(password: str, email: str) -> None:
    """Unprocessable (``weak-password``, with ``reasons``) as at registration."""
    weaknesses = domain.password_weaknesses(password, email)
    if weaknesses:
        raise errors.Unprocessable(
            "The password is too weak: " + " ".join(w.message for w in weaknesses),
            extra={"reasons": [w.code for w in weaknesses]},
            code="weak-password",
        )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True
