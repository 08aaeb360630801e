"""Identity's privacy entrypoints: a user exports everything identity holds about them, or erases
their account. ``IdentityService`` inherits them.

Erasure keeps the user's row as a tombstone (the id other services know), replaces every personal
field, ends every session, drops the expert status and the organization membership, forgets the
addresses the user signed in from, and emits ``user.erased`` so that every service anonymizes what
it holds. An access token issued before stays cryptographically valid until it expires, but every
identity call answers NotFound for an erased user, and a refresh is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kernel import errors
from kernel.entrypoints import rpc
from kernel.events.catalog import ORGANIZATION_MEMBER_REMOVED, USER_ERASED
from services.identity import people_rules, people_schemas
from services.identity.credentials import PasswordHashing
from services.identity.people_storage import PeopleStorage
from services.identity.schemas import actor_of, load
from services.identity.storage import IdentityStorage

ERASURE = people_schemas.Erasure()


class PrivacyEntrypoints:
    """Mixed into ``IdentityService``: ``self.db``, ``self.passwords`` and ``self.now()`` are its own."""

    db: Any  # the worker's kernel.db.Transaction (nameko's Database provider on the service class)
    passwords: PasswordHashing
    now: Callable[[], datetime]

    @rpc
    def export_me(self, actor):
        """Everything identity holds about the caller (``people_rules.export_document``)."""
        user_id = actor_of(actor).user_id
        people = PeopleStorage(self.db)
        account = people.account(user_id)
        if account is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        membership = people.membership(user_id)
        organization = people.organization(str(membership["organization_id"])) if membership else None
        return people_rules.export_document(
            account,
            membership,
            organization,
            people.expert(user_id),
            people.sessions(user_id),
            people.security_events(user_id),
            self.now(),
        )

    @rpc
    def erase_me(self, actor, password):
        """Erase the caller's account after checking their password; emits ``user.erased`` (and
        ``organization.member_removed`` if they were affiliated).

        Raises PermissionDenied (wrong password), NotFound (already erased), Conflict (the last admin).
        """
        user_id = actor_of(actor).user_id
        data = load(ERASURE, {"password": password})
        people = PeopleStorage(self.db)
        stored = people.password_hash(user_id)
        if stored is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        if not self.passwords.verify(stored, data["password"]):
            raise errors.PermissionDenied("The password is not correct.", code="wrong-password")
        admins = people.lock_admins()
        person = people.person(user_id, for_update=True)
        if person is None:  # erased by a concurrent call meanwhile
            raise errors.NotFound("No such user.", code="user-not-found")
        people_rules.check_admins_remain(person["platform_role"], None, admins)
        now = self.now()
        membership = people.remove_member(None, user_id)
        if membership is not None:
            self.db.emit(
                ORGANIZATION_MEMBER_REMOVED,
                subject=f"user/{user_id}",
                data={
                    "organization_id": str(membership["organization_id"]),
                    "user_id": user_id,
                    "affiliation": membership["affiliation"],
                    "changed_by": user_id,
                },
            )
        people.erase(user_id, people_rules.tombstone(user_id), now)
        IdentityStorage(self.db).record("account.erased", user_id, None, now)
        self.db.emit(USER_ERASED, subject=f"user/{user_id}", data={"user_id": user_id, "erased_at": now})
