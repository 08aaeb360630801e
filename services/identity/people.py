"""Identity's entrypoints about people: platform roles, verified experts, public profiles and
organizations (the extended enterprise). ``IdentityService`` inherits them (nameko collects
inherited entrypoints).

Admin rights are checked against the caller's *current* role in the database, not the token's
``role`` claim: a demoted admin cannot administer with a token issued before the demotion. A
resource the caller may not see (another organization) is reported as not existing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kernel import errors
from kernel.entrypoints import rpc
from kernel.events.catalog import (
    ORGANIZATION_MEMBER_ADDED,
    ORGANIZATION_MEMBER_REMOVED,
    USER_EXPERT_GRANTED,
    USER_EXPERT_REVOKED,
    USER_ROLE_CHANGED,
)
from services.identity import people_rules, people_schemas
from services.identity.people_storage import PeopleStorage
from services.identity.recovery_storage import RecoveryStorage
from services.identity.schemas import actor_of, load

ROLE_CHANGE = people_schemas.RoleChange()
EXPERT_GRANT = people_schemas.ExpertGrant()
USER_ID = people_schemas.UserId()
NEW_ORGANIZATION = people_schemas.NewOrganization()
NEW_MEMBER = people_schemas.NewMember()
MEMBER = people_schemas.Member()
ROLE_OUT = people_schemas.RoleOut()
EXPERT_STATUS_OUT = people_schemas.ExpertStatusOut()
PROFILE_OUT = people_schemas.ProfileOut()
ORGANIZATION_OUT = people_schemas.OrganizationOut()
MEMBERSHIP_OUT = people_schemas.MembershipOut()

NO_SUCH_ORGANIZATION = "No such organization."


class PeopleEntrypoints:
    """Mixed into ``IdentityService``: ``self.db`` is the worker's transaction, ``self.now()`` its clock."""

    db: Any  # the worker's kernel.db.Transaction (nameko's Database provider on the service class)
    now: Callable[[], datetime]

    @property
    def people(self) -> PeopleStorage:
        return PeopleStorage(self.db)

    # -- platform roles --------------------------------------------------------------------

    @rpc
    def set_platform_role(self, actor, user_id, role):
        """An admin sets a user's platform role; emits ``user.role_changed`` when it changed.

        Raises PermissionDenied (not an admin), NotFound, Conflict (the last admin would be demoted).
        """
        caller = self._require_admin(actor)
        data = load(ROLE_CHANGE, {"user_id": user_id, "role": role})
        target_id = str(data["user_id"])
        admins = self.people.lock_admins()
        person = self._person(target_id, for_update=True)
        previous = person["platform_role"]
        if previous != data["role"]:
            people_rules.check_admins_remain(previous, data["role"], admins)
            now = self.now()
            self.people.set_platform_role(target_id, data["role"], now)
            RecoveryStorage(self.db).audit(
                "role.changed", target_id, None, now, {"previous_role": previous, "role": data["role"], "by": caller}
            )
            self.db.emit(
                USER_ROLE_CHANGED,
                subject=f"user/{target_id}",
                data={"user_id": target_id, "previous_role": previous, "role": data["role"], "changed_by": caller},
            )
        return ROLE_OUT.dump({"user_id": target_id, "platform_role": data["role"]})

    # -- verified experts ------------------------------------------------------------------

    @rpc
    def grant_expert(self, actor, user_id, fields):
        """An admin verifies a user as an expert in ``fields`` (or changes them); emits
        ``user.expert_granted`` unless the same fields were already verified."""
        caller = self._require_admin(actor)
        data = load(EXPERT_GRANT, {"user_id": user_id, "fields": fields})
        target_id = str(data["user_id"])
        self._person(target_id, for_update=True)
        chosen = people_rules.expert_fields(data["expertise_fields"])
        status = self.people.expert(target_id)
        if status is None or list(status["expertise_fields"]) != chosen:
            now = self.now()
            status = self.people.set_expert(target_id, chosen, caller, now)
            RecoveryStorage(self.db).audit("expert.granted", target_id, None, now, {"fields": chosen, "by": caller})
            self.db.emit(
                USER_EXPERT_GRANTED,
                subject=f"user/{target_id}",
                data={"user_id": target_id, "fields_of_expertise": chosen, "verified_by": caller, "granted_at": now},
            )
        return EXPERT_STATUS_OUT.dump({"user_id": target_id, **status, "verified_by": str(status["verified_by"])})

    @rpc
    def revoke_expert(self, actor, user_id):
        """An admin ends a user's verified-expert status; emits ``user.expert_revoked`` if there was one."""
        caller = self._require_admin(actor)
        target_id = str(load(USER_ID, {"user_id": user_id})["user_id"])
        self._person(target_id, for_update=True)
        if self.people.delete_expert(target_id):
            RecoveryStorage(self.db).audit("expert.revoked", target_id, None, self.now(), {"by": caller})
            self.db.emit(
                USER_EXPERT_REVOKED,
                subject=f"user/{target_id}",
                data={"user_id": target_id, "revoked_by": caller, "revoked_at": self.now()},
            )

    # -- public profiles -------------------------------------------------------------------

    @rpc
    def get_profile(self, actor, user_id):
        """What any signed-in user may see of another: never the email. NotFound if unknown or erased."""
        actor_of(actor)
        person = self._person(user_id)
        return PROFILE_OUT.dump(people_rules.public_profile(person, self.people.expert(str(person["id"]))))

    # -- organizations ---------------------------------------------------------------------

    @rpc
    def create_organization(self, actor, name):
        """An admin creates an organization. Raises Conflict when the name (whatever its case) is taken."""
        caller = self._require_admin(actor)
        data = load(NEW_ORGANIZATION, {"name": name})
        organization = self.people.insert_organization(data["name"], caller, self.now())
        if organization is None:
            raise errors.Conflict("An organization with this name exists.", code="organization-name-taken")
        return ORGANIZATION_OUT.dump({**organization, "members": []})

    @rpc
    def get_organization(self, actor, organization_id):
        """The organization and its members, for admins and its own members; NotFound for others."""
        caller = actor_of(actor).user_id
        organization_id = _uuid_or_not_found(organization_id, NO_SUCH_ORGANIZATION)
        membership = self.people.membership(caller)
        own = str(membership["organization_id"]) if membership else None
        if not people_rules.may_see_organization(self.people.platform_role(caller), own, organization_id):
            raise errors.NotFound(NO_SUCH_ORGANIZATION, code="organization-not-found")
        organization = self._organization(organization_id)
        return ORGANIZATION_OUT.dump({**organization, "members": self.people.members(organization_id)})

    @rpc
    def add_organization_member(self, actor, organization_id, user_id, affiliation):
        """An admin affiliates a user to an organization; emits ``organization.member_added``.

        One organization per user: a user affiliated already (here or elsewhere) is a Conflict.
        """
        caller = self._require_admin(actor)
        organization_id = _uuid_or_not_found(organization_id, NO_SUCH_ORGANIZATION)
        data = load(NEW_MEMBER, {"organization_id": organization_id, "user_id": user_id, "affiliation": affiliation})
        target_id = str(data["user_id"])
        self._organization(organization_id, for_share=True)
        self._person(target_id, for_update=True)
        now = self.now()
        if not self.people.add_member(organization_id, target_id, data["affiliation"], caller, now):
            raise errors.Conflict("The user already belongs to an organization.", code="already-affiliated")
        self.db.emit(
            ORGANIZATION_MEMBER_ADDED,
            subject=f"user/{target_id}",
            data={
                "organization_id": organization_id,
                "user_id": target_id,
                "affiliation": data["affiliation"],
                "changed_by": caller,
            },
        )
        return MEMBERSHIP_OUT.dump(
            {
                "organization_id": organization_id,
                "user_id": target_id,
                "affiliation": data["affiliation"],
                "added_at": now,
            }
        )

    @rpc
    def remove_organization_member(self, actor, organization_id, user_id):
        """An admin ends a user's affiliation; emits ``organization.member_removed``. NotFound if the
        user is not a member of that organization."""
        caller = self._require_admin(actor)
        organization_id = _uuid_or_not_found(organization_id, NO_SUCH_ORGANIZATION)
        target_id = _uuid_or_not_found(user_id, "No such member.")
        removed = self.people.remove_member(organization_id, target_id)
        if removed is None:
            raise errors.NotFound("The user is not a member of this organization.", code="member-not-found")
        self.db.emit(
            ORGANIZATION_MEMBER_REMOVED,
            subject=f"user/{target_id}",
            data={
                "organization_id": organization_id,
                "user_id": target_id,
                "affiliation": removed["affiliation"],
                "changed_by": caller,
            },
        )

    # -- helpers ---------------------------------------------------------------------------

    def token_standing(self, user_id: str) -> people_rules.Standing:
        """What a new access token says about ``user_id`` beyond the role: ``aff``, ``org``, ``exp_v``."""
        return people_rules.standing(self.people.membership(user_id), self.people.expert(user_id) is not None)

    def _require_admin(self, actor) -> str:
        """The caller's id; raises PermissionDenied unless they are an admin now."""
        caller = actor_of(actor).user_id
        people_rules.require_admin(self.people.platform_role(caller))
        return caller

    def _person(self, user_id, for_update: bool = False) -> dict:
        person = self.people.person(_uuid_or_not_found(user_id, "No such user."), for_update=for_update)
        if person is None:
            raise errors.NotFound("No such user.", code="user-not-found")
        return person

    def _organization(self, organization_id: str, for_share: bool = False) -> dict:
        organization = self.people.organization(organization_id, for_share=for_share)
        if organization is None:
            raise errors.NotFound(NO_SUCH_ORGANIZATION, code="organization-not-found")
        return organization


def _uuid_or_not_found(value, detail: str) -> str:
    """``value`` as a canonical UUID string; an id that cannot exist is simply not found."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.NotFound(detail) from None
