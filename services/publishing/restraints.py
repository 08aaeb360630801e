"""Moderation's limits on writing (docs/publishing.md, "Moderation"), checked where an item or a
comment is created and where an item is submitted:

- a member muted in the community writes nothing there until the mute ends (PermissionDenied
  ``muted``);
- in a space in crisis mode, comments wait (Conflict ``crisis-mode``) and a member writes at most one
  item per ``slow_seconds`` (RateLimited with ``retry_after``) — holders of ``moderate`` excepted;
  submitted items go to pre-moderation whatever the community's policy (``policy``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from kernel import errors
from kernel.auth import Actor
from services.publishing import domain
from services.publishing.moderation_storage import ModerationStorage

#: the policy of a space in crisis: one approval by a moderator or a validator
CRISIS_POLICY = domain.Policy("pre_moderation")


def in_crisis(db, space_id: str) -> bool:
    found = ModerationStorage(db).crisis(str(space_id))
    return found is not None and found["crisis"]


def policy(db, space_id: str, usual: domain.Policy) -> domain.Policy:
    """The policy an item submitted in the space follows: while it is in crisis, pre-moderation
    instead of publishing on submit (a policy that validates already stays as it is)."""
    return CRISIS_POLICY if usual.mode == "none" and in_crisis(db, space_id) else usual


def check_writing(
    db, caller: Actor, space_id: str, community_id: str, permissions: Iterable[str], comment: bool = False
) -> None:
    """Raise unless the caller may write a new item (or, with ``comment``, a comment) in the space now."""
    store = ModerationStorage(db)
    at = datetime.now(UTC)
    domain.check_not_muted(store.muted_until(str(community_id), str(caller.user_id), at))
    if "moderate" in set(permissions):
        return
    crisis = store.crisis(str(space_id))
    if crisis is None or not crisis["crisis"]:
        return
    if comment:
        raise errors.Conflict("The space is in crisis mode: comments are closed for now.", code="crisis-mode")
    wait = domain.slow_mode_wait(store.last_post(str(space_id), str(caller.user_id)), at, crisis["slow_seconds"])
    if wait:
        raise errors.RateLimited(
            f"The space is in slow mode: you may post again in {wait} seconds.",
            extra={"retry_after": wait},
            code="slow-mode",
        )
