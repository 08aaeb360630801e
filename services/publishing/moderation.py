"""Moderation entrypoints of the publishing service: readers' reports (an item enough distinct readers
report is hidden), moderators hiding an item or putting it back, locked items, a space's crisis mode,
sanctions (a warning, a mute until a date, or a ban pronounced by the spaces service) and the
community's moderation settings (docs/publishing.md, "Moderation").

What moderation forbids when one writes (a mute, crisis mode's pre-moderation and slow mode, a lock)
is checked where items and comments are created (``restraints``, ``discussion``). Every sanction is
kept (``sanctions``: an audit) and announced without its reason, as is every hiding (``hidings``); a
report's event carries no text and, for a confidential item, no title.

A ban is the spaces service's to pronounce (its own rules: nobody bans an owner, only an owner bans a
manager...): ``apply_sanction`` calls its ``ban`` RPC with the caller's actor first and records the
sanction only once spaces accepted; a refusal (a kernel error, which crosses RPC intact) reaches the
caller unchanged. The banned member's rights then leave publishing's read model with ``member.banned``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from nameko.rpc import RpcProxy

from kernel import errors, paging
from kernel.access.readmodel import AccessReadModel
from kernel.auth import Actor
from kernel.entrypoints import rpc
from kernel.events.catalog import (
    CONTENT_HIDDEN,
    CONTENT_REPORTED,
    CONTENT_UNHIDDEN,
    SANCTION_APPLIED,
    SPACE_CRISIS_MODE_CHANGED,
)
from kernel.inputs import load, uuid_or_none
from services.publishing import schemas
from services.publishing.contents import NO_CONTENT, NO_SPACE, Desk, now, signed_in
from services.publishing.moderation_storage import ModerationStorage

NEW_REPORT = schemas.NewReport()
LOCK = schemas.Lock()
HIDING_REASON = schemas.HidingReason()
CRISIS_MODE = schemas.CrisisMode()
NEW_SANCTION = schemas.NewSanction()
REPORT_THRESHOLD = schemas.ReportThreshold()
REPORT = schemas.ReportOut()
LOCKED = schemas.LockOut()
CRISIS = schemas.CrisisModeOut()
SANCTION = schemas.SanctionOut()
SETTINGS = schemas.ModerationSettingsOut()
HIDING = schemas.HidingOut()

#: how many distinct readers' reports hide an item, unless the community says otherwise
DEFAULT_REPORT_THRESHOLD = 5
NO_COMMUNITY = "No such community."
READ_ONLY = "The community or the space is archived and read-only."


def _needs(permission: str, permissions: frozenset[str]) -> None:
    if permission not in permissions:
        raise errors.PermissionDenied(
            f"This needs the '{permission}' permission.", extra={"permission": permission}, code="missing-permission"
        )


class ModerationEntrypoints(Desk):
    """Mixed into ``PublishingService``; ``spaces`` pronounces bans."""

    spaces = RpcProxy("spaces")

    @property
    def moderation(self) -> ModerationStorage:
        return ModerationStorage(self.db)

    # -- reports -------------------------------------------------------------------------------------

    @rpc
    def report_content(self, actor, content_id, reason, category):
        """A signed-in reader reports a published item (``spam``, ``abuse``, ``off_topic``,
        ``misinformation``, ``other``, with a reason); reporting it again changes nothing. When the
        community's threshold of distinct reporters is reached the item is hidden (out of feeds and
        search, kept for moderators): ``content.hidden``. Answers the caller's report."""
        caller = signed_in(actor)
        clean = load(NEW_REPORT, {"reason": reason, "category": category})
        row, reader = self.located(caller, content_id, lock=True)
        if row["state"] != "published" or row["hidden"]:
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        if reader.read_only(str(row["space_id"]), str(row["community_id"])):
            raise errors.Conflict(READ_ONLY, code="archived")
        key, at = str(row["id"]), now()
        values = {"id": str(uuid.uuid4()), "content_id": key, "reporter_id": caller.user_id, "at": at, **clean}
        if self.moderation.add_report(values):
            count = self.moderation.reporters(key)
            self.emit(CONTENT_REPORTED, row, reporter_id=str(caller.user_id), category=clean["category"], reports=count)
            threshold = self.moderation.report_threshold(str(row["community_id"]), DEFAULT_REPORT_THRESHOLD)
            if count >= threshold:
                hidden = self.moderation.hide(key, at)
                self._audit_hiding(key, "hide", "reports", None, None, at)
                self.emit(CONTENT_HIDDEN, hidden, reason="reports", hidden_by=None)
        return REPORT.dump(self.moderation.report_of(key, caller.user_id))

    # -- hiding by hand ------------------------------------------------------------------------------

    @rpc
    def hide_content(self, actor, content_id, reason):
        """A holder of ``moderate`` in the item's space hides a published item, as enough reports
        would: out of feeds and search, kept for moderators. Audited with the reason (``hidings``);
        ``content.hidden`` (``moderator``) carries no reason. Conflict ``already-hidden`` if it is,
        ``not-published`` for an item that is not published. Answers the audit's line."""
        caller = signed_in(actor)
        text = load(HIDING_REASON, {"reason": reason})["reason"]
        row = self._moderated_item(caller, content_id)
        if row["state"] != "published":
            raise errors.Conflict("Only a published item is hidden.", code="not-published")
        if row["hidden"]:
            raise errors.Conflict("This item is hidden already.", code="already-hidden")
        key, at = str(row["id"]), now()
        hidden = self.moderation.hide(key, at)
        line = self._audit_hiding(key, "hide", "moderator", text, caller.user_id, at)
        self.emit(CONTENT_HIDDEN, hidden, reason="moderator", hidden_by=str(caller.user_id))
        return HIDING.dump(line)

    @rpc
    def unhide_content(self, actor, content_id, reason):
        """A holder of ``moderate`` in the item's space puts a hidden item back (however it was
        hidden); its standing reports are resolved, so the count of reporters starts again. Audited
        with the reason; ``content.unhidden`` carries none. Conflict ``not-hidden`` if it is not."""
        caller = signed_in(actor)
        text = load(HIDING_REASON, {"reason": reason})["reason"]
        row = self._moderated_item(caller, content_id)
        if not row["hidden"]:
            raise errors.Conflict("This item is not hidden.", code="not-hidden")
        key, at = str(row["id"]), now()
        shown = self.moderation.unhide(key, at)
        line = self._audit_hiding(key, "unhide", "moderator", text, caller.user_id, at)
        self.emit(CONTENT_UNHIDDEN, shown, unhidden_by=str(caller.user_id))
        return HIDING.dump(line)

    @rpc
    def list_hidings(self, actor, content_id, limit=20, after=None):
        """Holders of ``moderate`` in the item's space: every time it was hidden (by reports or a
        moderator) or put back, newest first, with who and why."""
        limit = paging.check_limit(limit)
        position = paging.position(after, at=datetime, id=uuid.UUID)
        caller = signed_in(actor)
        row, reader = self.located(caller, content_id)
        _needs("moderate", reader.caller_in(str(row["space_id"])).permissions)
        rows = self.moderation.hidings(str(row["id"]), limit + 1, position)
        return paging.page([HIDING.dump(r) for r in rows], limit, lambda h: {"at": h["at"], "id": h["id"]})

    def _moderated_item(self, caller: Actor, content_id: Any) -> dict:
        """The item (locked) if the caller holds ``moderate`` in its space and it may change:
        NotFound if they do not see it, PermissionDenied, Conflict ``archived``."""
        row, reader = self.located(caller, content_id, lock=True)
        space_id, community_id = str(row["space_id"]), str(row["community_id"])
        _needs("moderate", reader.caller_in(space_id).permissions)
        if reader.read_only(space_id, community_id):
            raise errors.Conflict(READ_ONLY, code="archived")
        return row

    def _audit_hiding(
        self, content_id: str, action: str, cause: str, reason: str | None, by: str | None, at: datetime
    ) -> dict:
        values = {"id": str(uuid.uuid4()), "content_id": content_id, "action": action, "cause": cause}
        return self.moderation.record_hiding(values | {"reason": reason, "by": by, "at": at})

    # -- locks ---------------------------------------------------------------------------------------

    @rpc
    def lock_content(self, actor, content_id, locked=True):
        """A holder of ``moderate`` in the item's space locks it (no new comment nor answer: Conflict
        ``locked``) or unlocks it."""
        caller = signed_in(actor)
        wanted = load(LOCK, {"locked": locked})["locked"]
        row, reader = self.located(caller, content_id, lock=True)
        space_id, community_id = str(row["space_id"]), str(row["community_id"])
        _needs("moderate", reader.caller_in(space_id).permissions)
        if reader.read_only(space_id, community_id):
            raise errors.Conflict(READ_ONLY, code="archived")
        if row["locked"] != wanted:
            row = self.moderation.set_locked(str(row["id"]), wanted, now())
        return LOCKED.dump(row)

    # -- crisis mode ---------------------------------------------------------------------------------

    @rpc
    def set_crisis_mode(self, actor, space_id, crisis, slow_seconds=0):
        """A holder of ``moderate`` in the space turns its crisis mode on or off: while on, new items
        go to pre-moderation, comments wait (unless one moderates) and a member posts at most once
        per ``slow_seconds`` (0..3600). Emits ``space.crisis_mode_changed`` when something changes."""
        caller = signed_in(actor)
        clean = load(CRISIS_MODE, {"crisis": crisis, "slow_seconds": slow_seconds})
        found = AccessReadModel(self.db).space_decision(caller, space_id)
        if found is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        space, _, permissions = found
        _needs("moderate", permissions)
        if space.archived or self.visibility.reader(caller, [space.community_id]).read_only(
            space.id, space.community_id
        ):
            raise errors.Conflict(READ_ONLY, code="archived")
        before = self.moderation.crisis(space.id)
        unchanged = before is not None and (before["crisis"], before["slow_seconds"]) == (
            clean["crisis"],
            clean["slow_seconds"],
        )
        if unchanged or (before is None and not clean["crisis"] and not clean["slow_seconds"]):
            return CRISIS.dump(before or {"space_id": space.id, "community_id": space.community_id, **clean})
        row = self.moderation.set_crisis(
            {"space_id": space.id, "community_id": space.community_id, "changed_by": caller.user_id, "at": now()}
            | clean
        )
        self.db.emit(
            SPACE_CRISIS_MODE_CHANGED,
            f"space/{space.id}",
            {
                "space_id": space.id,
                "community_id": space.community_id,
                "crisis": row["crisis"],
                "slow_seconds": row["slow_seconds"],
                "changed_by": str(caller.user_id),
            },
        )
        return CRISIS.dump(row)

    # -- sanctions -----------------------------------------------------------------------------------

    @rpc
    def apply_sanction(self, actor, community_id, user_id, kind, reason, until=None):
        """A holder of ``moderate`` community-wide warns a member (recorded only), mutes them until a
        future date (no new item nor comment in the community until then: PermissionDenied
        ``muted``) or bans them: the spaces service's ``ban`` is called first, with the caller's
        actor, and its refusal (owner not bannable, already banned...) is raised as it is, nothing
        recorded. Every sanction is kept; ``sanction.applied`` carries no reason."""
        caller = signed_in(actor)
        clean = load(NEW_SANCTION, {"user_id": user_id, "kind": kind, "reason": reason, "until": until})
        community = self._moderated(caller, community_id, "moderate")
        at = now()
        if clean["kind"] == "mute" and (clean["until"] is None or clean["until"] <= at):
            message = "A mute lasts until a date in the future."
            raise errors.Unprocessable(message, extra={"errors": {"until": [message]}}, code="until-required")
        if clean["kind"] in ("warn", "ban"):
            clean["until"] = None
        if clean["kind"] == "ban":
            self.spaces.ban(actor, community, str(clean["user_id"]), clean["reason"])
        row = self.moderation.insert_sanction(
            {
                **clean,
                "id": str(uuid.uuid4()),
                "community_id": community,
                "user_id": str(clean["user_id"]),
                "reason": clean["reason"].strip() or clean["reason"],
                "by": caller.user_id,
                "at": at,
            }
        )
        self.db.emit(
            SANCTION_APPLIED,
            f"community/{community}",
            {
                "sanction_id": str(row["id"]),
                "community_id": community,
                "user_id": str(row["user_id"]),
                "kind": row["kind"],
                "until": None if row["until"] is None else row["until"].isoformat(),
                "applied_by": str(caller.user_id),
            },
        )
        return SANCTION.dump(row)

    @rpc
    def list_sanctions(self, actor, community_id, limit=20, after=None):
        """Holders of ``moderate`` community-wide: the community's sanctions, newest first."""
        limit = paging.check_limit(limit)
        position = paging.position(after, at=datetime, id=uuid.UUID)
        community = self._moderated(signed_in(actor), community_id, "moderate")
        rows = self.moderation.sanctions(community, limit + 1, position)
        return paging.page([SANCTION.dump(r) for r in rows], limit, lambda s: {"at": s["at"], "id": s["id"]})

    # -- settings ------------------------------------------------------------------------------------

    @rpc
    def set_report_threshold(self, actor, community_id, threshold):
        """A holder of ``configure`` community-wide sets how many distinct readers' reports hide an
        item (1..100; 5 until set)."""
        caller = signed_in(actor)
        value = load(REPORT_THRESHOLD, {"report_threshold": threshold})["report_threshold"]
        community = self._moderated(caller, community_id, "configure")
        self.moderation.set_report_threshold(community, value)
        return SETTINGS.dump({"community_id": community, "report_threshold": value})

    def _moderated(self, caller: Actor, community_id: Any, permission: str) -> str:
        """The community's id if the caller holds ``permission`` community-wide: NotFound for a
        community they do not see, PermissionDenied otherwise."""
        key = uuid_or_none(community_id)
        model = AccessReadModel(self.db)
        found = None if key is None else model.community(caller, key)
        if found is None:
            raise errors.NotFound(NO_COMMUNITY, code="community-not-found")
        _needs(permission, model.community_permissions(caller, key))
        return found[0].id
