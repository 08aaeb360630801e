"""The identity service's entrypoints: accounts, sign-in with rotating refresh tokens, signing keys.

Each entrypoint loads its input (``schemas``), applies identity's rules (``domain``), stores the
result (``storage``, in the worker's transaction, events in its outbox) and answers a JSON-able dict.
Failed sign-ins and reused refresh tokens are facts worth keeping even though the call fails: those
paths commit what they recorded (``_commit_and_raise``) before raising.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import NoReturn

from kernel import errors
from kernel.entrypoints import rpc
from kernel.events.catalog import USER_PROFILE_UPDATED, USER_REGISTERED
from kernel.service import PlatformService
from services.identity import domain, schemas
from services.identity.credentials import new_refresh_token
from services.identity.dependencies import Passwords, TokenSettings
from services.identity.domain import RefreshTokenState, RefreshVerdict
from services.identity.people import PeopleEntrypoints
from services.identity.privacy import PrivacyEntrypoints
from services.identity.recovery import RecoveryEntrypoints
from services.identity.storage import IdentityStorage

REGISTRATION = schemas.Registration()
LOGIN = schemas.Login()
REFRESH = schemas.RefreshTokenInput()
PROFILE_CHANGES = schemas.ProfileChanges()
USER = schemas.User()

INVALID_CREDENTIALS = "The email or the password is not correct."


class IdentityService(PeopleEntrypoints, PrivacyEntrypoints, RecoveryEntrypoints, PlatformService):
    name = "identity"

    passwords = Passwords()
    policy = TokenSettings()

    @property
    def storage(self) -> IdentityStorage:
        return IdentityStorage(self.db)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    # -- accounts --------------------------------------------------------------------------

    @rpc
    def register(self, email, password, display_name, locale="en"):
        """Create an account; emits ``user.registered``. Raises InvalidInput, Unprocessable, Conflict."""
        data = schemas.load(
            REGISTRATION, {"email": email, "password": password, "display_name": display_name, "locale": locale}
        )
        weaknesses = domain.password_weaknesses(data["password"], data["email"])
        if weaknesses:
            raise errors.Unprocessable(
                "The password is too weak: " + " ".join(w.message for w in weaknesses),
                extra={"reasons": [w.code for w in weaknesses]},
                code="weak-password",
            )
        password_hash = self.passwords.hash(data["password"])
        user = self.storage.insert_user(data["email"], password_hash, data["display_name"], data["locale"])
        if user is None:
            raise errors.Conflict("An account with this email address already exists.", code="email-taken")
        self.db.emit(USER_REGISTERED, subject=f"user/{user['id']}", data=domain.registered_event(user))
        self.start_email_verification(user)  # recovery: a mailed, single-use token
        return USER.dump(user)

    @rpc
    def get_me(self, actor):
        """The calling user. Raises NotFound when the account is unknown, deleted or erased."""
        return USER.dump(self._user(schemas.actor_of(actor).user_id))

    @rpc
    def update_me(self, actor, changes):
        """Change the caller's profile; emits ``user.profile_updated`` when something changed."""
        user_id = schemas.actor_of(actor).user_id
        clean = schemas.load(PROFILE_CHANGES, changes)
        user = self._user(user_id, for_update=True)
        changed = domain.changed_fields(user, clean)
        if changed:
            user = self.storage.update_profile(user_id, {name: clean[name] for name in changed}, self.now()) or user
            self.db.emit(USER_PROFILE_UPDATED, subject=f"user/{user_id}", data={"user_id": user_id, "changed": changed})
        return USER.dump(user)

    # -- tokens ----------------------------------------------------------------------------

    @rpc
    def issue_tokens(self, email, password, client_address=None):
        """Sign in: a new access token and the first refresh token of a new family.

        An unknown email and a wrong password get the same error after the same work (a dummy hash
        is verified for an unknown email). A stale password hash is replaced on success.
        """
        data = schemas.load(LOGIN, {"email": email, "password": password, "client_address": client_address})
        address = str(data["client_address"]) if data["client_address"] else None
        now = self.now()
        email = domain.normalize_email(data["email"])
        self.refuse_throttled_login(email, address, now)  # recovery: 429 while the account or address is locked
        account = self.storage.credentials(email)
        if account is None:
            self.passwords.verify_unknown(data["password"])
            self.storage.record("login.failed", None, address, now)
            self.count_failed_login(email, None, address, now)
            self._commit_and_raise(errors.Unauthenticated(INVALID_CREDENTIALS, code="invalid-credentials"))
        user_id = str(account["id"])
        if not self.passwords.verify(account["password_hash"], data["password"]):
            self.storage.record("login.failed", user_id, address, now)
            self.count_failed_login(email, user_id, address, now)
            self._commit_and_raise(errors.Unauthenticated(INVALID_CREDENTIALS, code="invalid-credentials"))
        self.refuse_unverified(user_id)  # recovery: only with REQUIRE_VERIFIED_EMAIL
        self.forget_failed_logins(email)
        if self.passwords.needs_rehash(account["password_hash"]):
            self.storage.set_password_hash(user_id, self.passwords.hash(data["password"]), now)
        self.storage.record("login.succeeded", user_id, address, now)
        family_id = self.storage.start_family(user_id, now)
        return self._token_pair(user_id, account["platform_role"], family_id, now)

    @rpc
    def refresh(self, refresh_token):
        """Rotate: the presented token is used up and the next of its family issued with a new access token.

        A token shown again after it was used (or after its family was revoked) means someone else
        holds a copy: the whole family is revoked, the newest token included.
        """
        digest = domain.refresh_token_digest(schemas.load(REFRESH, {"refresh_token": refresh_token})["refresh_token"])
        now = self.now()
        row = self.storage.refresh_token(digest)
        state = None
        if row is not None:
            state = RefreshTokenState(row["expires_at"], row["used_at"], row["family_revoked_at"], row["user_active"])
        verdict = domain.judge_refresh(state, now)
        if verdict is RefreshVerdict.REUSED:
            assert row is not None
            self.storage.revoke_family(row["family_id"], now)
            self.storage.record("refresh.reused", str(row["user_id"]), None, now)
            self._commit_and_raise(
                errors.Unauthenticated(
                    "This refresh token was already used; its sessions are ended. Sign in again.",
                    code="refresh-token-reused",
                )
            )
        if verdict is RefreshVerdict.INVALID or row is None:
            raise errors.Unauthenticated("The refresh token is not valid.", code="invalid-refresh-token")
        self.storage.mark_used(digest, now)
        return self._token_pair(str(row["user_id"]), row["platform_role"], str(row["family_id"]), now)

    @rpc
    def logout(self, refresh_token):
        """Revoke the family of ``refresh_token``; an unknown token changes nothing and says nothing."""
        digest = domain.refresh_token_digest(schemas.load(REFRESH, {"refresh_token": refresh_token})["refresh_token"])
        row = self.storage.refresh_token(digest)
        if row is not None:
            now = self.now()
            self.storage.revoke_family(row["family_id"], now)
            self.storage.record("logout", str(row["user_id"]), None, now)

    # -- signing keys ----------------------------------------------------------------------

    @rpc
    def jwks(self):
        """``{"keys": [...]}``: the public JWK of every key that may still verify a live token."""
        keys = self.storage.signing_keys() or [self.storage.signing_key()]
        now = self.now()
        ttl = self.policy.access_ttl_seconds
        return {"keys": [key.jwk() for key in keys if domain.key_is_published(key.superseded_at, ttl, now)]}

    @rpc
    def rotate_signing_key(self):
        """A new key signs from now on; the old one stays published until its tokens have expired,
        and keys past that are deleted. Nobody is logged out."""
        now = self.now()
        key = self.storage.rotate_signing_key(now)
        ttl = self.policy.access_ttl_seconds
        retired = [k.kid for k in self.storage.signing_keys() if not domain.key_is_published(k.superseded_at, ttl, now)]
        self.storage.delete_signing_keys(retired)
        return {"kid": key.kid}

    # -- helpers ---------------------------------------------------------------------------

    def _user(self, user_id: str, for_update: bool = False) -> dict:
        try:
            uuid.UUID(user_id)
        except ValueError:
            raise errors.NotFound("No such user.", code="user-not-found") from None
        user = self.storage.user(user_id, for_update=for_update)
        if user is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        return user

    def _token_pair(self, user_id: str, platform_role: str, family_id: str, now: datetime) -> dict:
        refresh_token = new_refresh_token()
        self.storage.add_refresh_token(
            domain.refresh_token_digest(refresh_token), family_id, now, self.policy.refresh_ttl_seconds
        )
        standing = self.token_standing(user_id)  # affiliation, organization, verified expert
        claims = domain.access_claims(
            user_id,
            platform_role,
            self.policy,
            now,
            jti=uuid.uuid4().hex,
            affiliation=standing.affiliation,
            organization_id=standing.organization_id,
            expert=standing.expert,
        )
        access_token = self.storage.signing_key().sign(claims)
        return domain.token_pair(access_token, refresh_token, self.policy)

    def _commit_and_raise(self, error: errors.ServiceError) -> NoReturn:
        """Keep what this worker recorded (a failed sign-in, a revoked family), then fail the call."""
        self.db.commit()
        raise error
