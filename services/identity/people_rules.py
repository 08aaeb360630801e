"""Identity's rules about people, free of nameko and SQL: who may administer, when a role change
would leave the platform without an admin, who may see an organization, what a token says about a
person's standing, what an erased account is replaced with and what an export contains.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel import errors

PLATFORM_ROLES = ("admin", "community_creator", "member")
AFFILIATIONS = ("employee", "partner", "customer")
#: the affiliation of a user who belongs to no organization
PUBLIC = "public"
#: who changed a role when no person did (the ``create-admin`` command)
SYSTEM_ACTOR = "system"

#: what an erased account's display name becomes (the row stays: other services know the id)
ERASED_DISPLAY_NAME = "Erased user"
#: not an argon2 hash: nothing verifies against it
UNUSABLE_PASSWORD_HASH = "!erased"  # noqa: S105 - a marker, not a secret


def require_admin(platform_role: str | None) -> None:
    """Raise PermissionDenied unless ``platform_role`` (the caller's current role) is admin."""
    if platform_role != "admin":
        raise errors.PermissionDenied("Only an admin may do this.", code="admin-only")


def check_admins_remain(current_role: str, new_role: str | None, admin_count: int) -> None:
    """Raise Conflict when taking ``current_role`` away (a new role, or erasure when ``new_role`` is
    None) would leave no admin: ``admin_count`` counts the live admins, the target included."""
    if current_role == "admin" and new_role != "admin" and admin_count <= 1:
        raise errors.Conflict(
            "This is the last admin: make another admin first.", code="last-admin", extra={"admins": admin_count}
        )


def may_see_organization(caller_role: str | None, caller_organization_id: str | None, organization_id: str) -> bool:
    """Admins see every organization; a member sees their own. To others it does not exist."""
    return caller_role == "admin" or caller_organization_id == organization_id


def expert_fields(fields: Iterable[str]) -> list[str]:
    """The fields of expertise as stored: trimmed, duplicates (whatever their case) dropped, order kept."""
    seen: set[str] = set()
    kept = []
    for field in fields:
        text = field.strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


@dataclass(frozen=True)
class Standing:
    """What an access token says about a person beyond their role (``aff``, ``org``, ``exp_v``)."""

    affiliation: str = PUBLIC
    organization_id: str | None = None
    expert: bool = False


def standing(membership: Mapping | None, is_expert: bool) -> Standing:
    """The standing of a user with this organization membership row (or none) and expert status."""
    if membership is None:
        return Standing(expert=is_expert)
    return Standing(membership["affiliation"], str(membership["organization_id"]), is_expert)


def tombstone(user_id: str) -> dict:
    """The values an erased account's row keeps: no email, name, bio, avatar, languages or password.

    The email is replaced by an address under ``.invalid`` (RFC 2606: never deliverable) derived from
    the id, so the row stays unique and the old address is free for a new account.
    """
    return {
        "email": f"erased-{user_id}@erased.invalid",
        "password_hash": UNUSABLE_PASSWORD_HASH,
        "display_name": ERASED_DISPLAY_NAME,
        "locale": "en",
        "bio": None,
        "avatar_url": None,
        "languages": [],
        "expertise": [],
        "email_verified": False,
    }


def public_profile(user: Mapping, expert: Mapping | None) -> dict:
    """What any signed-in user may read about ``user``: never the email, the role or the sign-ins."""
    return {
        "id": str(user["id"]),
        "display_name": user["display_name"],
        "bio": user["bio"],
        "avatar_url": user["avatar_url"],
        "languages": list(user["languages"]),
        "expertise": list(user["expertise"]),
        "expert": None
        if expert is None
        else {"expertise_fields": list(expert["expertise_fields"]), "verified_at": expert["verified_at"]},
    }


def export_document(
    account: Mapping,
    membership: Mapping | None,
    organization: Mapping | None,
    expert: Mapping | None,
    sessions: Iterable[Mapping],
    security_events: Iterable[Mapping],
    exported_at: datetime,
) -> dict:
    """Everything identity holds about one user, as JSON-able data (the right of access, GDPR art. 15).

    Sessions are described without their tokens or token hashes; security events are the user's
    audit trail (sign-ins, failed sign-ins, reuse of a refresh token...).
    """
    document = {
        "exported_at": exported_at,
        "account": dict(account),
        "affiliation": {
            "affiliation": membership["affiliation"],
            "organization": {"id": organization["id"], "name": organization["name"]} if organization else None,
            "since": membership["added_at"],
        }
        if membership is not None
        else {"affiliation": PUBLIC, "organization": None, "since": None},
        "expert": None
        if expert is None
        else {
            "fields": list(expert["expertise_fields"]),
            "verified_by": expert["verified_by"],
            "verified_at": expert["verified_at"],
        },
        "sessions": [dict(session) for session in sessions],
        "security_events": [dict(event) for event in security_events],
    }
    return _jsonable(document)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
