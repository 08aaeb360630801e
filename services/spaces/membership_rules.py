"""The spaces service's rules about members, free of nameko and SQL: who may join and when, who may
sponsor and when a co-optation is complete, invitations' validity, who may change a role or remove,
ban and unban whom (owners are protected and a community always keeps one), how a pilot group is
applied and who succeeds an erased last owner. ``membership.py`` reads the rows, asks these rules
and records the facts.

Each check raises the ``kernel.errors`` exception the caller sees (its ``code`` is the contract of
docs/spaces.md); predicates answer a plain value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kernel import errors
from kernel.access.rules import Matrix
from kernel.inputs import uuid_or_none
from services.spaces.plugins.policies import DEFAULT_SPONSORS, Application, MembershipTerms, Question

OWNER = "owner"
MANAGER = "manager"
GUEST = "guest"
#: a join request's statuses; only ``pending`` ones can be decided or sponsored
REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn")
#: the states in which the pilot group may be set (testers are members before ``live``)
PILOT_STATES = frozenset({"draft", "review", "pilot"})
#: who made a change when no person did (``member.role_changed``'s ``changed_by``)
PLATFORM = "platform"
#: why the platform removed a member
ERASED_REASON = "account erased"
PILOT_REASON = "pilot group changed"
#: why a banned candidate's pending request was closed
BANNED_REASON = "The candidate was banned from the community."


# -- the charter's terms and the application ----------------------------------------------------


def terms_of(charter: Mapping[str, Any] | None) -> MembershipTerms:
    """The admission terms of a charter's ``membership`` section (missing keys take the defaults:
    policy ``open``, role ``member``, two sponsors, no form)."""
    section = (charter or {}).get("membership") or {}
    criteria = section.get("criteria") or {}
    questions = tuple(
        Question(id=str(q["id"]), label=str(q.get("label", "")), required=bool(q.get("required", False)))
        for q in criteria.get("questions") or ()
        if isinstance(q, Mapping) and q.get("id")
    )
    attestations = tuple(
        str(a["id"]) for a in criteria.get("attestations") or () if isinstance(a, Mapping) and a.get("id")
    )
    sponsors = section.get("sponsors_required")
    return MembershipTerms(
        policy=str(section.get("policy") or "open"),
        default_role=str(section.get("default_role") or "member"),
        sponsors_required=max(1, int(sponsors)) if isinstance(sponsors, int) else DEFAULT_SPONSORS,
        questions=questions,
        attestations=attestations,
    )


def check_application(terms: MembershipTerms, application: Application) -> None:
    """Raise InvalidInput when the application answers a question or checks an attestation that
    the charter does not have (whatever the policy: a form is only what the charter asks)."""
    known_questions = {q.id for q in terms.questions}
    problems: dict[str, dict[str, list[str]]] = {}
    for question_id in sorted(set(application.answers) - known_questions):
        problems.setdefault("answers", {})[question_id] = ["No such question in this community's form."]
    for attestation in sorted(application.attestations - set(terms.attestations)):
        problems.setdefault("attestations", {})[attestation] = ["No such attestation in this community's form."]
    if problems:
        raise errors.InvalidInput("The application is not valid.", extra={"errors": problems})


# -- joining ------------------------------------------------------------------------------------


def check_may_join(state: str, banned: bool, member: bool, pending: bool) -> None:
    """What every policy requires of a join: a live community, a candidate who is not banned, not
    a member and without a pending request already."""
    if state != "live":
        raise errors.Conflict("Members join live communities only.", extra={"state": state}, code="not-live")
    if banned:
        raise errors.PermissionDenied("You are banned from this community.", code="banned")
    if member:
        raise errors.Conflict("You are a member of this community already.", code="already-member")
    if pending:
        raise errors.Conflict("You have asked to join already; your request is pending.", code="request-pending")


def check_pending(status: str) -> None:
    """A request is decided or sponsored while pending only."""
    if status != "pending":
        raise errors.Conflict(
            f"This request is {status}: it cannot change any more.", extra={"status": status}, code="request-closed"
        )


def may_sponsor(role: str | None) -> bool:
    """Any member whose role is not ``guest`` may sponsor a candidate."""
    return role is not None and role != GUEST


def check_sponsor(sponsor_id: str, candidate_id: str, sponsor_role: str | None, sponsored_policy: bool) -> None:
    """Raise unless ``sponsor_id`` (with their role in the community, ``None`` if not a member) may
    sponsor this request; ``sponsored_policy`` says whether its policy takes sponsors."""
    if sponsor_id == candidate_id:
        raise errors.PermissionDenied("A candidate cannot sponsor themself.", code="self-sponsorship")
    if not may_sponsor(sponsor_role):
        raise errors.PermissionDenied("Only members (not guests) may sponsor a candidate.", code="not-a-sponsor")
    if not sponsored_policy:
        raise errors.Conflict("This request is not decided by sponsors.", code="not-sponsorable")


def cooptation_complete(sponsors: int, required: int | None) -> bool:
    """Whether ``sponsors`` sponsorships admit the candidate (``required`` null: never by sponsors)."""
    return required is not None and sponsors >= required


def request_view(request: Mapping[str, Any], sponsors: Sequence[str], show_answers: bool) -> dict:
    """A join request as its readers see it: answers only for managers and the candidate."""
    view = {key: request[key] for key in REQUEST_FIELDS}
    view["sponsors"] = list(sponsors)
    view["answers"] = dict(request["answers"] or {}) if show_answers else None
    view["attestations"] = list(request["attestations"] or [])
    return view


REQUEST_FIELDS = (
    "id",
    "community_id",
    "user_id",
    "policy",
    "status",
    "message",
    "sponsors_required",
    "decided_by",
    "reason",
    "created_at",
    "decided_at",
)


# -- invitations --------------------------------------------------------------------------------


def role_exists(role: str, matrix: Matrix) -> bool:
    """Whether ``role`` is one of the community's roles (the owner always is)."""
    return role == OWNER or role in matrix


def check_invitation_role(role: str, matrix: Matrix, inviter_role: str | None) -> None:
    """An invitation names an existing role other than owner; inviting a manager takes an owner or
    a manager."""
    if role == OWNER:
        raise errors.Unprocessable("Nobody is invited as owner.", code="owner-not-invitable")
    if not role_exists(role, matrix):
        raise errors.Unprocessable(f"This community has no role '{role}'.", extra={"role": role}, code="unknown-role")
    if role == MANAGER and inviter_role not in (OWNER, MANAGER):
        raise errors.PermissionDenied("Only owners and managers may invite a manager.", code="manager-invitation")


def invitation_expiry(now: datetime, hours: int) -> datetime:
    return now + timedelta(hours=hours)


def check_invitation(invitation: Mapping[str, Any], user_id: str, now: datetime) -> None:
    """An invitation is accepted once, before it expires, by the user it names (anyone if none)."""
    if invitation["accepted_at"] is not None:
        raise errors.Conflict("This invitation was used already.", code="invitation-used")
    if now >= invitation["expires_at"]:
        raise errors.Conflict("This invitation has expired.", code="invitation-expired")
    bound = invitation["user_id"]
    if bound is not None and str(bound) != user_id:
        raise errors.PermissionDenied("This invitation is for another user.", code="invitation-for-another-user")


# -- roles, removal, bans -------------------------------------------------------------------------


def check_role_change(caller_role: str | None, current_role: str, new_role: str, owners: int) -> bool:
    """Whether changing a member's role from ``current_role`` to ``new_role`` changes anything;
    raises when the caller (with ``manage_members``) may not: only an owner grants or takes away
    ``owner`` (so a manager cannot touch an owner), and the last of ``owners`` stays one."""
    if OWNER in (current_role, new_role) and caller_role != OWNER:
        raise errors.PermissionDenied("Only an owner may grant or take away the owner role.", code="owner-only")
    if current_role == new_role:
        return False
    check_owner_remains(current_role, owners)
    return True


def check_owner_remains(current_role: str | None, owners: int) -> None:
    """Raise Conflict when taking ``current_role`` away would leave the community without an owner
    (``owners`` counts its owners, this member included)."""
    if current_role == OWNER and owners <= 1:
        raise errors.Conflict("This is the community's last owner: make another member owner first.", code="last-owner")


def check_removal(caller_role: str | None, target_role: str, owners: int) -> None:
    """A manager removes members; an owner is removed by an owner only, and never the last one."""
    if target_role == OWNER and caller_role != OWNER:
        raise errors.PermissionDenied("Only an owner may remove an owner.", code="owner-only")
    check_owner_remains(target_role, owners)


def check_ban(caller_id: str, caller_role: str | None, target_id: str, target_role: str | None) -> None:
    """Nobody bans themself or an owner, and only an owner bans a manager (a moderator may not
    throw out the people who manage the community)."""
    if caller_id == target_id:
        raise errors.PermissionDenied("You cannot ban yourself.", code="self-ban")
    if target_role == OWNER:
        raise errors.PermissionDenied("An owner cannot be banned.", code="owner-not-bannable")
    if target_role == "manager" and caller_role != OWNER:
        raise errors.PermissionDenied("Only an owner can ban a manager.", code="owner-only")


# -- pilot group ---------------------------------------------------------------------------------


def check_pilot_state(state: str) -> None:
    if state not in PILOT_STATES:
        raise errors.Conflict(
            "The pilot group is set before the community is live.", extra={"state": state}, code="pilot-closed"
        )


def pilot_changes(wanted: Iterable[str], members: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Who joins and who leaves when the pilot group becomes ``wanted``: ``members`` maps each
    current member to how they came in (``via``). Listed users who are not members join; members
    who came in as testers (``pilot``) and are no longer listed leave; other members stay."""
    wanted = set(wanted)
    joining = sorted(wanted - set(members))
    leaving = sorted(user for user, via in members.items() if via == "pilot" and user not in wanted)
    return joining, leaving


# -- erasure --------------------------------------------------------------------------------------


def successor(others: Iterable[Mapping[str, Any]]) -> str | None:
    """Who becomes owner when the last owner's account is erased: the earliest-joined manager,
    else the earliest-joined member (``others``: the remaining members with ``user_id``, ``role``,
    ``joined_at``); ``None`` when nobody remains."""
    ordered = sorted(others, key=lambda m: (m["joined_at"], str(m["user_id"])))
    for member in ordered:
        if member["role"] == MANAGER:
            return str(member["user_id"])
    return str(ordered[0]["user_id"]) if ordered else None


# -- ids -----------------------------------------------------------------------------------------


def uuid_or_not_found(value: Any, detail: str, code: str) -> str:
    """``value`` as a canonical UUID string; an id that cannot exist is simply not found."""
    found = uuid_or_none(value)
    if found is None:
        raise errors.NotFound(detail, code=code)
    return found
