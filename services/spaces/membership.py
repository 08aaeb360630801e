"""The spaces service's membership entrypoints: joining by the community's policy, join requests
(sponsored, approved, rejected), invitations, the members list, roles, removal, bans, the pilot
group, and what identity's events teach it (known users, erased accounts). ``SpacesService``
inherits them (nameko collects inherited entrypoints).

Every change locks its community's row first (``SELECT ... FOR UPDATE``): changes to a
community's members are judged one after the other, and the revisions ``Facts.record`` takes for
the access read model follow the order in which they commit. Visibility and permissions come from
``Guard`` on the read model: a community (or a request in one) that the caller may not see does not
exist for them. The rules are in ``membership_rules``, the admission decision in the policy plugins
(``plugins/policies``), the SQL in ``membership_storage``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from kernel import errors, paging
from kernel.access import rules as access
from kernel.access.readmodel import AccessReadModel
from kernel.auth import actor_of
from kernel.entrypoints import rpc
from kernel.events.catalog import (
    INVITATION_SENT,
    JOIN_REQUEST_SPONSORED,
    JOIN_REQUEST_SUBMITTED,
    MEMBER_BANNED,
    MEMBER_LEFT,
    MEMBER_REMOVED,
    MEMBER_ROLE_CHANGED,
    MEMBER_UNBANNED,
    USER_ERASED,
    USER_REGISTERED,
)
from kernel.events.consumer import on_event
from kernel.inputs import load
from services.spaces import membership_rules as rules
from services.spaces import membership_schemas as schemas
from services.spaces.guards import NO_COMMUNITY, Guard
from services.spaces.membership_storage import MembershipStorage
from services.spaces.plugins.policies import Admit, Application, Refuse, policy_named

APPLICATION = schemas.ApplicationIn()
REQUEST_LIST = schemas.RequestListIn()
REASON = schemas.ReasonIn()
INVITATION = schemas.InvitationIn()
ROLE = schemas.RoleIn()
ROLE_FILTER = schemas.RoleFilterIn()
PILOT_GROUP = schemas.PilotGroupIn()
MEMBER_OUT = schemas.MemberOut()
JOIN_REQUEST_OUT = schemas.JoinRequestOut()
JOIN_OUT = schemas.JoinOut()
INVITATION_OUT = schemas.InvitationOut()
BAN_OUT = schemas.BanOut()
PILOT_GROUP_OUT = schemas.PilotGroupOut()

NO_REQUEST = "No such join request."
NO_MEMBER = "No such member."
NO_INVITATION = "No such invitation."


class MembershipEntrypoints:
    """Mixed into ``SpacesService``: ``self.db`` is the worker's transaction. Helpers are module
    functions, not methods, so that they never collide with the other mixins' names."""

    db: Any  # the worker's kernel.db.Transaction (nameko's Database provider on the service class)

    # -- joining ---------------------------------------------------------------------------------

    @rpc
    def join(self, actor, community_id, application=None):
        """The caller asks to join; the community's policy decides: a member now
        (``member.joined``) or a pending request (``join_request.submitted``).

        Raises NotFound (invisible community), Conflict (``not-live``, ``already-member``,
        ``request-pending``), PermissionDenied (``banned``, ``invitation-only``), InvalidInput (a
        malformed application, unknown questions or attestations), Unprocessable (criteria not met).
        """
        user_id = actor_of(actor).user_id
        data = load(APPLICATION, {} if application is None else application)
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        banned = store.ban(cid, user_id) is not None
        if not (banned and community["state"] in access.OPEN_STATES):
            Guard(self.db).community(actor, cid)  # a banned user is told so where they were a member
        rules.check_may_join(
            community["state"],
            banned,
            store.member(cid, user_id) is not None,
            store.pending_request(cid, user_id) is not None,
        )
        terms = rules.terms_of(community["charter"])
        candidate = Application(data["message"], dict(data["answers"]), frozenset(data["attestations"]))
        rules.check_application(terms, candidate)
        outcome = policy_named(terms.policy).decide(terms, candidate)
        if isinstance(outcome, Refuse):
            raise outcome.problem
        if isinstance(outcome, Admit):
            member = store.admit(cid, user_id, outcome.role, outcome.via, _now())
            return JOIN_OUT.dump({"status": "member", "community_id": cid, "member": member})
        request = store.insert_request(
            str(uuid.uuid4()), cid, user_id, outcome.policy, data, outcome.sponsors_required, _now()
        )
        store.record(JOIN_REQUEST_SUBMITTED, cid, request_id=str(request["id"]), user_id=user_id, policy=outcome.policy)
        view = rules.request_view(request, [], show_answers=True)
        return JOIN_OUT.dump({"status": "pending", "community_id": cid, "request": view})

    @rpc
    def list_join_requests(self, actor, community_id, status="pending", limit=20, after=None):
        """A page of the community's join requests with ``status``, oldest first. Managers
        (``manage_members``) see all, with answers; other members but guests see the pending
        co-optation requests (those they may sponsor), without answers."""
        actor_of(actor)
        limit = paging.check_limit(limit)
        wanted = load(REQUEST_LIST, {} if status is None else {"status": status})["status"]
        position = paging.position(after, created_at=datetime, id=uuid.UUID)
        cid = _community_id(community_id)
        community, standing, _ = Guard(self.db).community(actor, cid)
        managing = "manage_members" in access.community_permissions(community, standing)
        if not managing and not (standing.is_member and rules.may_sponsor(standing.role) and wanted == "pending"):
            Guard.require(frozenset(), "manage_members")
        store = MembershipStorage(self.db)
        rows = store.requests_page(cid, wanted, limit, position, policy=None if managing else "cooptation")
        found = paging.page(
            rows, limit, lambda row: {"created_at": row["created_at"].isoformat(), "id": str(row["id"])}
        )
        sponsors = store.sponsors([str(row["id"]) for row in found["items"]])
        found["items"] = [
            JOIN_REQUEST_OUT.dump(rules.request_view(row, sponsors[str(row["id"])], show_answers=managing))
            for row in found["items"]
        ]
        return found

    @rpc
    def sponsor_request(self, actor, request_id):
        """A member (not a guest) sponsors a co-optation candidate (``join_request.sponsored``); the
        last sponsor needed admits them (``join_request.approved`` by nobody, ``member.joined``).
        Sponsoring twice changes nothing."""
        caller = actor_of(actor).user_id
        store, community, request, standing, permissions = _open_request(self.db, actor, request_id)
        rid, cid = str(request["id"]), str(community["id"])
        role = standing.role if standing.is_member else None
        rules.check_sponsor(caller, str(request["user_id"]), role, policy_named(request["policy"]).sponsored)
        sponsors = store.sponsors([rid])[rid]
        show_answers = "manage_members" in permissions
        if caller in sponsors:
            return JOIN_REQUEST_OUT.dump(rules.request_view(request, sponsors, show_answers))
        rules.check_pending(request["status"])
        _require_live(community["state"])
        now = _now()
        store.add_sponsorship(rid, caller, now)
        sponsors = [*sponsors, caller]
        required = request["sponsors_required"] or rules.terms_of(community["charter"]).sponsors_required
        store.record(
            JOIN_REQUEST_SPONSORED,
            cid,
            request_id=rid,
            sponsor_id=caller,
            sponsors=len(sponsors),
            required=required,
        )
        if rules.cooptation_complete(len(sponsors), required):
            request = _approve(self.db, community, request, None)
        return JOIN_REQUEST_OUT.dump(rules.request_view(request, sponsors, show_answers))

    @rpc
    def approve_request(self, actor, request_id):
        """A manager admits a candidate (``join_request.approved``, ``member.joined``)."""
        caller = actor_of(actor).user_id
        store, community, request, _, permissions = _open_request(self.db, actor, request_id)
        Guard.require(permissions, "manage_members", community["state"])
        rules.check_pending(request["status"])
        _require_live(community["state"])
        request = _approve(self.db, community, request, caller)
        rid = str(request["id"])
        return JOIN_REQUEST_OUT.dump(rules.request_view(request, store.sponsors([rid])[rid], show_answers=True))

    @rpc
    def reject_request(self, actor, request_id, reason):
        """A manager rejects a candidate with a reason (``join_request.rejected``)."""
        caller = actor_of(actor).user_id
        text = load(REASON, {"reason": reason})["reason"]
        store, community, request, _, permissions = _open_request(self.db, actor, request_id)
        Guard.require(permissions, "manage_members", community["state"])
        rules.check_pending(request["status"])
        request = store.decide(request, "rejected", caller, text, _now())
        rid = str(request["id"])
        return JOIN_REQUEST_OUT.dump(rules.request_view(request, store.sponsors([rid])[rid], show_answers=True))

    # -- invitations -----------------------------------------------------------------------------

    @rpc
    def create_invitation(self, actor, community_id, data):
        """A member with ``invite`` issues a single-use invitation to a role (``invitation.sent``,
        without the token or the email). The token is returned here only; its sha256 is stored."""
        caller = actor_of(actor).user_id
        values = load(INVITATION, data if data is not None else {})
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        _, standing, _ = Guard(self.db).community(actor, cid, "invite")
        rules.check_invitation_role(values["role"], _matrix(community), standing.role)
        invitee = None if values["user_id"] is None else str(values["user_id"])
        if invitee is not None and store.unknown_users([invitee]):
            raise errors.Unprocessable("No such user.", extra={"user_id": invitee}, code="unknown-user")
        token = secrets.token_urlsafe(32)
        now = _now()
        row = store.insert_invitation(
            str(uuid.uuid4()),
            cid,
            _token_hash(token),
            {**values, "user_id": invitee},
            caller,
            now,
            rules.invitation_expiry(now, values["expires_in_hours"]),
        )
        store.record(
            INVITATION_SENT,
            cid,
            invitation_id=str(row["id"]),
            role=row["role"],
            invited_by=caller,
            user_id=invitee,
            expires_at=row["expires_at"],
        )
        return INVITATION_OUT.dump({**row, "token": token})

    @rpc
    def accept_invitation(self, actor, token):
        """The caller becomes a member with the invitation's role (``member.joined`` via invitation).

        Raises NotFound (unknown token), Conflict (``invitation-used``, ``invitation-expired``,
        ``not-live``, ``already-member``), PermissionDenied (another user's invitation, ``banned``).
        """
        user_id = actor_of(actor).user_id
        if not isinstance(token, str) or not 0 < len(token) <= 200:
            raise errors.NotFound(NO_INVITATION, code="invitation-not-found")
        store = MembershipStorage(self.db)
        digest = _token_hash(token)
        found = store.invitation_by_token_hash(digest)
        if found is None:
            raise errors.NotFound(NO_INVITATION, code="invitation-not-found")
        community = _lock(store, found["community_id"])
        invitation = store.invitation_by_token_hash(digest, for_update=True)
        assert invitation is not None  # invitations are never deleted
        rules.check_invitation(invitation, user_id, _now())
        cid = str(community["id"])
        rules.check_may_join(
            community["state"], store.ban(cid, user_id) is not None, store.member(cid, user_id) is not None, False
        )
        if not rules.role_exists(invitation["role"], _matrix(community)):
            raise errors.Conflict(
                "The role of this invitation no longer exists.", extra={"role": invitation["role"]}, code="role-gone"
            )
        store.mark_invitation_used(str(invitation["id"]), user_id, _now())
        return MEMBER_OUT.dump(store.admit(cid, user_id, invitation["role"], "invitation", _now()))

    # -- members ---------------------------------------------------------------------------------

    @rpc
    def list_members(self, actor, community_id, limit=20, after=None, role=None):
        """A page of the community's members by date of joining (keyset on ``(joined_at,
        user_id)``), for its members only; ``role`` keeps those holding it."""
        actor_of(actor)
        limit = paging.check_limit(limit)
        wanted = load(ROLE_FILTER, {"role": role})["role"]
        position = paging.position(after, joined_at=datetime, user_id=uuid.UUID)
        cid = _community_id(community_id)
        _, standing, _ = Guard(self.db).community(actor, cid)
        if not standing.is_member:
            raise errors.PermissionDenied("Only members see who the members are.", code="members-only")
        rows = MembershipStorage(self.db).members_page(cid, limit, position, wanted)
        found = paging.page(
            rows, limit, lambda row: {"joined_at": row["joined_at"].isoformat(), "user_id": str(row["user_id"])}
        )
        found["items"] = [MEMBER_OUT.dump(row) for row in found["items"]]
        return found

    @rpc
    def set_member_role(self, actor, community_id, user_id, role):
        """A manager gives a member another role (``member.role_changed``); the same role changes
        nothing. Only an owner grants or takes away ``owner``; the last owner stays one."""
        caller = actor_of(actor).user_id
        new_role = load(ROLE, {"role": role})["role"]
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        _, standing, _ = Guard(self.db).community(actor, cid, "manage_members")
        member = _member(store, cid, user_id)
        if not rules.role_exists(new_role, _matrix(community)):
            raise errors.Unprocessable(
                f"This community has no role '{new_role}'.", extra={"role": new_role}, code="unknown-role"
            )
        if not rules.check_role_change(standing.role, member["role"], new_role, store.owners(cid)):
            return MEMBER_OUT.dump(member)
        target = str(member["user_id"])
        changed = store.set_role(cid, target, new_role)
        store.record(
            MEMBER_ROLE_CHANGED,
            cid,
            user_id=target,
            previous_role=member["role"],
            role=new_role,
            changed_by=caller,
        )
        return MEMBER_OUT.dump(changed)

    @rpc
    def remove_member(self, actor, community_id, user_id):
        """The caller leaves (``member.left``), or a manager removes a member (``member.removed``).
        Owners are removed by owners only; the last owner can neither leave nor be removed."""
        caller = actor_of(actor).user_id
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        leaving = rules.uuid_or_none(user_id) == caller
        _, standing, _ = Guard(self.db).community(actor, cid, None if leaving else "manage_members")
        member = _member(store, cid, user_id)
        target = str(member["user_id"])
        if leaving:
            rules.check_owner_remains(member["role"], store.owners(cid))
            store.delete_member(cid, target)
            store.record(MEMBER_LEFT, cid, user_id=target)
            return
        rules.check_removal(standing.role, member["role"], store.owners(cid))
        store.delete_member(cid, target)
        store.record(MEMBER_REMOVED, cid, user_id=target, removed_by=caller, reason=None)

    @rpc
    def ban(self, actor, community_id, user_id, reason):
        """A manager or moderator bans a user (``member.banned``): their membership ends, their
        pending request is rejected, and they cannot join until unbanned. Owners cannot be banned."""
        caller = actor_of(actor).user_id
        text = load(REASON, {"reason": reason})["reason"]
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        target = rules.uuid_or_not_found(user_id, "No such user.", "user-not-found")
        _require_moderation(self.db, actor, cid)
        member = store.member(cid, target)
        own = store.member(cid, caller)
        rules.check_ban(
            caller, None if own is None else own["role"], target, None if member is None else member["role"]
        )
        if store.ban(cid, target) is not None:
            raise errors.Conflict("This user is banned already.", code="already-banned")
        if member is not None:
            store.delete_member(cid, target)
        pending = store.pending_request(cid, target)
        if pending is not None:
            store.decide(pending, "rejected", caller, rules.BANNED_REASON, _now())
        row = store.insert_ban(cid, target, caller, text, _now())
        store.record(MEMBER_BANNED, cid, user_id=target, banned_by=caller, reason=text)
        return BAN_OUT.dump(row)

    @rpc
    def unban(self, actor, community_id, user_id):
        """Lift a ban (``member.unbanned``): the user may join again. NotFound if not banned."""
        caller = actor_of(actor).user_id
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        target = rules.uuid_or_not_found(user_id, "This user is not banned.", "ban-not-found")
        _require_moderation(self.db, actor, cid)
        if not store.delete_ban(cid, target):
            raise errors.NotFound("This user is not banned.", code="ban-not-found")
        store.record(MEMBER_UNBANNED, cid, user_id=target, unbanned_by=caller)

    @rpc
    def set_pilot_group(self, actor, community_id, user_ids):
        """The testers of a community before it is live (``configure``; draft, review, pilot): listed
        users who are not members join with the default role (via ``pilot``); testers no longer
        listed are removed; other members stay. Answers the testers now."""
        caller = actor_of(actor).user_id
        wanted = sorted({str(u) for u in load(PILOT_GROUP, {"user_ids": user_ids})["user_ids"]})
        store = MembershipStorage(self.db)
        community = _lock(store, community_id)
        cid = str(community["id"])
        Guard(self.db).community(actor, cid, "configure")
        rules.check_pilot_state(community["state"])
        unknown = store.unknown_users(wanted)
        if unknown:
            raise errors.Unprocessable(
                "Some of these users do not exist.", extra={"user_ids": unknown}, code="unknown-users"
            )
        banned = [user for user in wanted if store.ban(cid, user) is not None]
        if banned:
            raise errors.Conflict(
                "Some of these users are banned here.", extra={"user_ids": banned}, code="banned-users"
            )
        joining, leaving = rules.pilot_changes(wanted, store.routes(cid, wanted))
        for user in leaving:
            member = store.member(cid, user)
            assert member is not None
            rules.check_owner_remains(member["role"], store.owners(cid))
            store.delete_member(cid, user)
            store.record(MEMBER_REMOVED, cid, user_id=user, removed_by=caller, reason=rules.PILOT_REASON)
        role = rules.terms_of(community["charter"]).default_role
        for user in joining:
            store.admit(cid, user, role, "pilot", _now())
        return PILOT_GROUP_OUT.dump({"user_ids": store.pilot_members(cid)})

    # -- identity's events -----------------------------------------------------------------------

    @on_event(USER_REGISTERED)
    def remember_registered_user(self, event):
        """A new account: a user that pilot groups and invitations may name."""
        user_id = rules.uuid_or_none(event.data["user_id"])
        if user_id is not None:
            MembershipStorage(self.db).register_user(user_id, event.data["registered_at"])

    @on_event(USER_ERASED)
    def anonymize_erased_user(self, event):
        """An erased account: its memberships end (``member.removed``, by nobody), a community
        left without owner gets one (the earliest manager, else the earliest member:
        ``member.role_changed`` by the platform), its bans are lifted (``member.unbanned``) and
        every trace of the user in requests, sponsorships, invitations, feedback and the change log
        is cleared (``MembershipStorage.anonymize``)."""
        user_id = rules.uuid_or_none(event.data["user_id"])
        if user_id is None:
            return
        store = MembershipStorage(self.db)
        store.lock_communities_of(user_id)
        for membership in store.memberships(user_id):
            cid = str(membership["community_id"])
            heir = None
            if membership["role"] == rules.OWNER and store.owners(cid) <= 1:
                heir = rules.successor(store.others(cid, user_id))
            store.delete_member(cid, user_id)
            store.record(MEMBER_REMOVED, cid, user_id=user_id, removed_by=None, reason=rules.ERASED_REASON)
            if heir is not None:
                previous = store.member(cid, heir)
                assert previous is not None
                store.set_role(cid, heir, rules.OWNER)
                store.record(
                    MEMBER_ROLE_CHANGED,
                    cid,
                    user_id=heir,
                    previous_role=previous["role"],
                    role=rules.OWNER,
                    changed_by=rules.PLATFORM,
                )
        for cid in store.bans_of(user_id):
            store.delete_ban(cid, user_id)
            store.record(MEMBER_UNBANNED, cid, user_id=user_id, unbanned_by=rules.PLATFORM)
        store.anonymize(user_id, _now())


# -- helpers (module functions: nothing here can collide with another mixin's names) -----------------


def _now() -> datetime:
    return datetime.now(UTC)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _community_id(value: Any) -> str:
    return rules.uuid_or_not_found(value, NO_COMMUNITY, "community-not-found")


def _lock(store: MembershipStorage, community_id: Any) -> dict:
    """The community's row, locked; NotFound for an id that is not one (visibility comes next)."""
    community = store.lock_community(_community_id(community_id))
    if community is None:
        raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
    return community


def _matrix(community: dict) -> access.Matrix:
    return access.matrix_of(community["matrix"]) or {}


def _member(store: MembershipStorage, community_id: str, user_id: Any) -> dict:
    target = rules.uuid_or_not_found(user_id, NO_MEMBER, "member-not-found")
    member = store.member(community_id, target)
    if member is None:
        raise errors.NotFound(NO_MEMBER, code="member-not-found")
    return member


def _require_live(state: str) -> None:
    if state != "live":
        raise errors.Conflict("Members join live communities only.", extra={"state": state}, code="not-live")


def _require_moderation(db, actor, community_id: str) -> None:
    """Bans are pronounced and lifted by those with ``manage_members`` or ``moderate``."""
    community, standing, _ = Guard(db).community(actor, community_id)
    permissions = access.community_permissions(community, standing)
    if not permissions & {"manage_members", "moderate"}:
        Guard.require(permissions, "moderate", community.state)


def _open_request(db, actor, request_id: Any):
    """The request (locked, after its community's row) in a community the actor sees, with the
    store, the community's row, the actor's standing and community-wide permissions. NotFound for
    unknown ids and for requests of communities the actor does not see."""
    rid = rules.uuid_or_not_found(request_id, NO_REQUEST, "request-not-found")
    store = MembershipStorage(db)
    found = store.request(rid)
    if found is None:
        raise errors.NotFound(NO_REQUEST, code="request-not-found")
    community = store.lock_community(str(found["community_id"]))
    request = store.request(rid, for_update=True)
    visible = AccessReadModel(db).visible_community(actor, str(found["community_id"]))
    if community is None or request is None or visible is None:
        raise errors.NotFound(NO_REQUEST, code="request-not-found")
    access_community, standing, _ = visible
    return store, community, request, standing, access.community_permissions(access_community, standing)


def _approve(db, community: dict, request: dict, decided_by: str | None) -> dict:
    """Admit a pending request's candidate with the charter's default role (``join_request.approved``
    — by nobody when the last sponsor decided — then ``member.joined`` via the request's policy)."""
    store = MembershipStorage(db)
    cid, candidate = str(community["id"]), str(request["user_id"])
    if store.member(cid, candidate) is not None:
        raise errors.Conflict("The candidate is a member already.", code="already-member")
    decided = store.decide(request, "approved", decided_by, None, _now())
    store.admit(cid, candidate, rules.terms_of(community["charter"]).default_role, request["policy"], _now())
    return decided
