"""Content entrypoints of the publishing service: the content types, an item's life (create, read,
save with co-edition, submit, approve, reject, publish, archive), its revisions, and the timer that
publishes scheduled items (docs/publishing.md).

Each entrypoint loads its input (``schemas``), finds the item through the caller's visibility (an
item they may not read does not exist: NotFound), locks it before a change, asks ``domain`` whether
the caller may and what happens, stores (``storage``: the item, its revision, every transition) and
emits its events in the same transaction, then answers the item as the caller sees it.
``Desk``, what these and the feed entrypoints share, is here too.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from kernel import errors, paging
from kernel.access.readmodel import AccessReadModel
from kernel.auth import Actor, actor_of
from kernel.dumping import compiled
from kernel.entrypoints import rpc, timer
from kernel.events.catalog import (
    CONTENT_APPROVED,
    CONTENT_ARCHIVED,
    CONTENT_CREATED,
    CONTENT_PUBLISHED,
    CONTENT_REJECTED,
    CONTENT_SUBMITTED,
    CONTENT_UPDATED,
)
from kernel.inputs import load, uuid_or_none
from services.publishing import coedition, domain, restraints, schemas
from services.publishing.coedition import Version
from services.publishing.plugins import ContentType, content_type, content_types
from services.publishing.rendering import check_body, render
from services.publishing.storage import ContentStorage, DiscussionStorage
from services.publishing.visibility import Reader, Visibility

NEW_CONTENT = schemas.NewContent()
CHANGES = schemas.Changes()
BASE_REVISION = schemas.BaseRevision()
REJECTION = schemas.Rejection()
REVISION_PAIR = schemas.RevisionPair()
REVISION_NUMBER = schemas.RevisionNumber()
CONTENT = schemas.ContentOut()
FEED_ITEM = schemas.FeedItemOut(only=schemas.FEED_ITEM_FIELDS)
SAVED = schemas.SavedContentOut()
REVISION = schemas.RevisionOut()
VERSION = schemas.VersionOut()
CONTENT_TYPE = schemas.ContentTypeOut()

NO_CONTENT = "No such content item."
NO_SPACE = "No such space."
#: how often the timer looks for scheduled items that came due, and how many it publishes at a time
PUBLISH_EVERY = 5
PUBLISH_BATCH = 100


def now() -> datetime:
    return datetime.now(UTC)


def signed_in(actor: Any) -> Actor:
    """The caller (Unauthenticated without one; NotFound when their id is not a UUID)."""
    caller = actor_of(actor)
    user_id = uuid_or_none(caller.user_id)
    if user_id is None:
        raise errors.NotFound("No such user.", code="user-not-found")
    return dataclasses.replace(caller, user_id=user_id)


def reader_of(actor: Any) -> Actor | None:
    """``signed_in`` for reads open to anonymous visitors (``None``)."""
    return None if actor is None else signed_in(actor)


def version_of(row: dict) -> Version:
    return Version(title=row["title"], body=row["body"], fields=dict(row["fields"] or {}))


class Desk:
    """What the content and feed entrypoints share: storage, visibility, finding an item, views."""

    db: Any  # the worker's kernel.db.Transaction (the Database provider of PlatformService)

    @property
    def contents(self) -> ContentStorage:
        return ContentStorage(self.db)

    @property
    def visibility(self) -> Visibility:
        return Visibility(self.db)

    def located(self, caller: Actor | None, content_id: Any, lock: bool = False) -> tuple[dict, Reader]:
        """The item as the caller may read it (locked with ``lock``) and their ``Reader`` in its
        community; NotFound when it does not exist for them."""
        key = uuid_or_none(content_id)
        place = None if key is None else self.contents.place_of(key)
        if key is None or place is None:
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        reader = self.visibility.reader(caller, [str(place["community_id"])])
        row = self.contents.item(key, reader.readable(), lock=lock)
        if row is None:
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        return row, reader

    @staticmethod
    def rules_of(row: dict, reader: Reader) -> tuple[domain.Item, domain.Caller, domain.Policy, bool]:
        """What ``domain`` needs: the item, the caller in its space, the policy, whether read-only."""
        kind = content_types().get(row["type"])
        item = domain.Item.of(row, co_edited=kind is not None and kind.co_edited)
        space_id, community_id = str(row["space_id"]), str(row["community_id"])
        policy = reader.policy(space_id, row["type"])
        return item, reader.caller_in(space_id), policy, reader.read_only(space_id, community_id)

    def view(self, row: dict, reader: Reader, history: bool = True, merged: bool | None = None) -> dict:
        """The item as the caller sees it: ``my_actions`` and, for who moderates or validates in its
        space (and ``history``), every transition; the answer to a save says whether it ``merged``."""
        item, caller, policy, read_only = self.rules_of(row, reader)
        transitions = None
        if history and domain.sees_history(caller, policy):
            transitions = self.contents.history(str(row["id"]), reader.readable())
        view = {
            **row,
            "step": policy.step_name(row["step"]) if row["state"] == "in_review" else None,
            "my_actions": domain.my_actions(item, caller, policy, read_only),
            "history": transitions,
        }
        return compiled(CONTENT)(view) if merged is None else SAVED.dump({**view, "merged": merged})

    def cards(self, rows: list[dict], reader: Reader) -> list[dict]:
        """A feed's rows (``ContentStorage.feed``) as the caller sees them, with ``my_actions``:
        decided once per page for each situation (place, type, state, author, step, schedule: all
        that ``rules_of`` reads of a row), the rows of a page sharing a few of them."""
        dump = compiled(FEED_ITEM)
        decided: dict[tuple, list[str]] = {}
        cards = []
        for row in rows:
            situation = (
                row["space_id"],
                row["community_id"],
                row["type"],
                row["state"],
                row["author_id"],
                row["step"],
                row["publish_at"],
            )
            actions = decided.get(situation)
            if actions is None:
                actions = decided[situation] = domain.my_actions(*self.rules_of(row, reader))
            cards.append(dump({**row, "my_actions": actions}))  # the dump copies the list
        return cards

    def emit(self, event_type: str, row: dict, **data: Any) -> None:
        """An event about the item: its facts (no title when confidential, never a body) and ``data``."""
        self.db.emit(
            event_type,
            f"content/{row['id']}",
            {
                "content_id": str(row["id"]),
                "community_id": str(row["community_id"]),
                "space_id": str(row["space_id"]),
                "type": row["type"],
                "knowledge_level": row["knowledge_level"],
                "state": row["state"],
                "author_id": None if row["author_id"] is None else str(row["author_id"]),
                "title": domain.event_title(row["title"], row["knowledge_level"]),
                **data,
            },
        )

    def apply(self, row: dict, moves: list[domain.Move], actor_id: str | None, at: datetime, **values: Any) -> dict:
        """Record each move and write the item's state after the last one (and ``values``)."""
        for move in moves:
            self.contents.record_transition(
                str(row["id"]), move.from_state, move.to_state, move.step_name, actor_id, move.reason, at
            )
        last = moves[-1]
        values.update(state=last.to_state, step=last.step)
        if last.to_state == "published":
            values["published_at"] = at
        return self.contents.update(str(row["id"]), values, at)


class ContentEntrypoints(Desk):
    """Mixed into ``PublishingService``."""

    @rpc
    def list_content_types(self):
        """The installed content types, by name, with their fields."""
        kinds = content_types()
        return [CONTENT_TYPE.dump(kinds[name].describe()) for name in sorted(kinds)]

    # -- an item -------------------------------------------------------------------------------------

    @rpc
    def create_content(self, actor, space_id, data):
        """A draft (revision 1) by a caller with ``post`` in the space, of a type whose module the space
        enables; a child (reply, answer) under a published parent it can read, in the parent's space.
        Raises InvalidInput, Unprocessable (``unknown-type``, parent rules), NotFound, PermissionDenied,
        Conflict (``archived``, ``module-disabled``, ``parent-not-published``, ``locked``), TooLarge."""
        row, reader = self.create(signed_in(actor), space_id, data)
        return self.view(row, reader)

    def create(self, caller: Actor, space_id: Any, data: Any, by_expert: bool = False) -> tuple[dict, Reader]:
        """``create_content``'s work (also an answer's, ``discussion``): the stored draft, its first
        revision and transition, ``content.created``; and the caller's ``Reader``."""
        clean = load(NEW_CONTENT, data)
        kind = content_type(clean["type"])
        model = AccessReadModel(self.db)
        found = model.space_decision(caller, space_id)
        if found is None:
            raise errors.NotFound(NO_SPACE, code="space-not-found")
        space, _, permissions = found
        reader = self.visibility.reader(caller, [space.community_id])
        if space.archived or reader.read_only(space.id, space.community_id):
            raise errors.Conflict("The community or the space is archived and read-only.", code="archived")
        if "post" not in permissions:
            raise errors.PermissionDenied(
                "This needs the 'post' permission.", extra={"permission": "post"}, code="missing-permission"
            )
        if kind.module not in (model.space_modules(space.id) or []):
            raise errors.Conflict(
                f"The module '{kind.module}' is not enabled in this space.",
                extra={"module": kind.module},
                code="module-disabled",
            )
        restraints.check_writing(self.db, caller, space.id, space.community_id, permissions)
        parent = self._parent(caller, kind, clean["parent_id"], space.id)
        title = domain.check_title(kind.titled, clean["title"])
        check_body(clean["body"])
        domain.check_untitled_body(kind.titled, clean["body"])
        fields = kind.load_fields(clean["fields"])
        default = (model.community_settings(space.community_id) or {}).get("default_knowledge_level") or "public"
        if parent is None:
            level = clean["knowledge_level"] or default
        else:
            level = domain.child_level(clean["knowledge_level"], default, parent["knowledge_level"])
        at = now()
        content_id = str(uuid.uuid4())
        row = self.contents.insert(
            {
                "id": content_id,
                "community_id": space.community_id,
                "space_id": space.id,
                "type": kind.name,
                "parent_id": None if parent is None else str(parent["id"]),
                "author_id": caller.user_id,
                "title": title,
                "body": clean["body"],
                "body_html": render(clean["body"]),
                "fields": fields,
                "knowledge_level": level,
                "publish_at": clean["publish_at"],
                "by_expert": by_expert,
                "at": at,
            }
        )
        self.contents.insert_revision(content_id, 1, dataclasses.asdict(version_of(row)), caller.user_id, at)
        self.contents.record_transition(content_id, None, "draft", None, caller.user_id, None, at)
        self.emit(CONTENT_CREATED, row)
        return row, reader

    @rpc
    def get_content(self, actor, content_id):
        """*anon* The item, if the caller reads it (published, within its knowledge level; or
        unpublished and theirs, co-edited by them, or theirs to approve), with its ``reactions`` and
        ``comments_count`` (and, for a course, ``registrations_count``)."""
        row, reader = self.located(reader_of(actor), content_id)
        summary = DiscussionStorage(self.db).summary(str(row["id"]), course=row["type"] == "course")
        return self.view({**row, **summary}, reader)

    @rpc
    def update_content(self, actor, content_id, changes, base_revision=None):
        """A save by the author (or, for a co-edited type, a holder of ``co_edit``): a new revision.
        From an older revision than the current one, a three-way merge: saved ``merged: true``, or
        Conflict ``edit-conflict`` (nothing saved). A rejected item edited is a draft again."""
        caller = signed_in(actor)
        clean = load(CHANGES, changes)
        base = load(BASE_REVISION, {"base_revision": base_revision})["base_revision"]
        row, reader = self.located(caller, content_id, lock=True)
        item, who, policy, read_only = self.rules_of(row, reader)
        domain.check("edit", item, who, policy, read_only)
        kind = content_type(row["type"])
        if kind.co_edited and base is None:
            raise errors.PreconditionRequired(
                "Say which revision this save started from (If-Match).", code="if-match-required"
            )
        current = row["revision"]
        base_version = version_of(row) if base is None or base == current else self._base(row, base)
        yours = self._yours(kind, base_version, clean)
        merged = False
        result = yours
        if base is not None and base != current:
            outcome = coedition.merge(base_version, version_of(row), yours)
            if outcome.merged is None:
                raise errors.Conflict(
                    "This save overlaps another one saved since its base revision: nothing was saved.",
                    extra={
                        "base": VERSION.dump({**dataclasses.asdict(base_version), "revision": base}),
                        "theirs": VERSION.dump({**dataclasses.asdict(version_of(row)), "revision": current}),
                        "yours": VERSION.dump({**dataclasses.asdict(yours), "revision": None}),
                        "proposal": VERSION.dump({**dataclasses.asdict(outcome.proposal), "revision": None}),
                        "conflicts": outcome.conflicts,
                        "current_revision": current,
                    },
                    code="edit-conflict",
                )
            result, merged = outcome.merged, True
            check_body(result.body)
        level = clean.get("knowledge_level", row["knowledge_level"])
        if "knowledge_level" in clean and row["parent_id"] is not None:
            domain.child_level(level, level, self.contents.level_of(str(row["parent_id"])))
        saved = self._save(row, result, level, caller.user_id, merged)
        return self.view(saved, reader, merged=merged)

    @rpc
    def archive_content(self, actor, content_id):
        """The author, or a holder of ``moderate`` in the space: the item is archived (read-only, out
        of the feeds)."""
        return self._act(actor, content_id, "archive")

    # -- the workflow ----------------------------------------------------------------------------------

    @rpc
    def submit_content(self, actor, content_id):
        """The author submits a draft: by the community's policy it is published (``none``; approved
        until its ``publish_at``), ``submitted`` (``pre_moderation``) or ``in_review`` (``multi_step``)."""
        return self._act(actor, content_id, "submit")

    @rpc
    def approve_content(self, actor, content_id):
        """One approval (the current step's role, ``validate`` for pre-moderation, or ``moderate``):
        the next step, or approved — and published unless it waits for its ``publish_at``."""
        return self._act(actor, content_id, "approve")

    @rpc
    def reject_content(self, actor, content_id, reason):
        """Who may approve the item may reject it, with a reason; the author edits it (a draft again)."""
        clean = load(REJECTION, {"reason": reason})
        return self._act(actor, content_id, "reject", reason=clean["reason"].strip())

    @rpc
    def publish_content(self, actor, content_id):
        """Who approves in the space publishes an approved item now, whatever its ``publish_at``."""
        return self._act(actor, content_id, "publish")

    @timer(interval=PUBLISH_EVERY)
    def publish_scheduled(self):
        """Publish approved items whose ``publish_at`` has come (``content.published``, ``published_by``
        null). Rows another worker holds are skipped: each item is published once."""
        at = now()
        for row in self.contents.due(at, PUBLISH_BATCH):
            published = self.apply(row, [domain.Move("approved", "published")], None, at)
            self.emit(CONTENT_PUBLISHED, published, published_by=None, published_at=at.isoformat())

    # -- revisions -------------------------------------------------------------------------------------

    @rpc
    def list_revisions(self, actor, content_id, limit=20, after=None):
        """*anon* Who reads the item: its revisions, newest first (keyset on ``number``)."""
        limit = paging.check_limit(limit)
        position = paging.position(after, number=int)
        row, _ = self.located(reader_of(actor), content_id)
        rows = self.contents.revisions(str(row["id"]), limit + 1, position[0] if position else None)
        return paging.page([REVISION.dump(r) for r in rows], limit, lambda item: {"number": item["number"]})

    @rpc
    def diff_revisions(self, actor, content_id, from_revision, to_revision):
        """*anon* Who reads the item: what changed from one revision to another, part by part."""
        clean = load(REVISION_PAIR, {"from_revision": from_revision, "to_revision": to_revision})
        row, _ = self.located(reader_of(actor), content_id)
        older = self._revision(row, clean["from_revision"])
        newer = self._revision(row, clean["to_revision"])
        a, b = clean["from_revision"], clean["to_revision"]
        return {
            "from_revision": a,
            "to_revision": b,
            **coedition.diff(version_of(older), version_of(newer), f"revision {a}", f"revision {b}"),
        }

    @rpc
    def restore_revision(self, actor, content_id, revision):
        """Who may edit the item: that revision's title, body and fields saved as a new revision."""
        caller = signed_in(actor)
        number = load(REVISION_NUMBER, {"revision": revision})["revision"]
        row, reader = self.located(caller, content_id, lock=True)
        item, who, policy, read_only = self.rules_of(row, reader)
        domain.check("restore", item, who, policy, read_only)
        old = self._revision(row, number)
        saved = self._save(row, version_of(old), row["knowledge_level"], caller.user_id, merged=False)
        return self.view(saved, reader)

    # -- helpers ---------------------------------------------------------------------------------------

    def _act(self, actor: Any, content_id: Any, action: str, reason: str | None = None) -> dict:
        """One workflow action on a locked item, its transitions recorded and its events emitted."""
        caller = signed_in(actor)
        row, reader = self.located(caller, content_id, lock=True)
        item, who, policy, read_only = self.rules_of(row, reader)
        domain.check(action, item, who, policy, read_only)
        at = now()
        by = caller.user_id
        if action == "submit":
            policy = restraints.policy(self.db, str(row["space_id"]), policy)
            row = self.apply(row, domain.submit(item, policy, at), by, at)
            self.emit(CONTENT_SUBMITTED, row, submitted_by=by)
        elif action == "approve":
            approval = domain.approve(item, policy, at)
            row = self.apply(row, approval.moves, by, at)
            # the approval's own state (approved, or in_review at the next step), even when published at once
            passed = {**row, "state": approval.moves[0].to_state}
            self.emit(CONTENT_APPROVED, passed, approved_by=by, step=approval.step_name, final=approval.final)
        elif action == "reject":
            assert reason is not None
            row = self.apply(row, [domain.reject(item, policy, reason)], by, at)
            self.emit(CONTENT_REJECTED, row, rejected_by=by, step=policy.step_name(item.step), reason=reason)
        elif action == "publish":
            row = self.apply(row, [domain.publish(item)], by, at)
        elif action == "archive":
            row = self.apply(row, [domain.archive(item)], by, at)
            self.emit(CONTENT_ARCHIVED, row, archived_by=by)
        if row["state"] == "published":
            self.emit(CONTENT_PUBLISHED, row, published_by=by, published_at=row["published_at"].isoformat())
        return self.view(row, reader)

    def _parent(self, caller: Actor, kind: ContentType, parent_id: Any, space_id: str) -> dict | None:
        """A child's parent: an item of the parent type, published, that the caller reads, in the
        space; a root type takes none."""
        if kind.parent is None:
            if parent_id is not None:
                raise _unprocessable("parent_id", f"A {kind.name} has no parent.", "no-parent")
            return None
        if parent_id is None:
            raise _unprocessable("parent_id", f"A {kind.name} answers a {kind.parent}: give its id.", "parent-required")
        try:
            parent, _ = self.located(caller, parent_id)
        except errors.NotFound:
            raise errors.NotFound("No such parent item.", code="parent-not-found") from None
        if parent["type"] != kind.parent:
            raise _unprocessable("parent_id", f"A {kind.name} answers a {kind.parent}.", "wrong-parent-type")
        if str(parent["space_id"]) != space_id:
            raise _unprocessable("parent_id", "The parent is in another space.", "parent-in-another-space")
        if parent["state"] != "published" or parent["hidden"]:
            raise errors.Conflict("The parent item is not published.", code="parent-not-published")
        domain.check_unlocked(bool(parent["locked"]))
        return parent

    def _base(self, row: dict, base: int) -> Version:
        """The version a save started from; a revision the item does not have is InvalidInput."""
        found = None if base > row["revision"] else self.contents.revision(str(row["id"]), base)
        if found is None:
            message = f"The item has no revision {base} (its current one is {row['revision']})."
            raise errors.InvalidInput(message, extra={"errors": {"base_revision": [message]}})
        return version_of(found)

    @staticmethod
    def _yours(kind: ContentType, base: Version, changes: dict) -> Version:
        """The base with the save's changes, each part checked (titles, body size, the type's fields)."""
        title = domain.check_title(kind.titled, changes["title"]) if "title" in changes else base.title
        body = changes.get("body", base.body)
        if "body" in changes:
            check_body(body)
            domain.check_untitled_body(kind.titled, body)
        fields = kind.load_fields(changes["fields"]) if "fields" in changes else base.fields
        return Version(title=title, body=body, fields=fields)

    def _revision(self, row: dict, number: int) -> dict:
        found = self.contents.revision(str(row["id"]), number)
        if found is None:
            raise errors.NotFound(f"The item has no revision {number}.", code="revision-not-found")
        return found

    def _save(self, row: dict, version: Version, level: str, by: str, merged: bool) -> dict:
        """Save ``version`` (and ``level``) as the next revision, unless nothing changes; a rejected
        item becomes a draft again. Emits ``content.updated``."""
        current = version_of(row)
        changed = [
            part
            for part, before, after in (
                ("title", current.title, version.title),
                ("body", current.body, version.body),
                ("fields", current.fields, version.fields),
                ("knowledge_level", row["knowledge_level"], level),
            )
            if before != after
        ]
        if not changed:
            return row
        at = now()
        number = row["revision"] + 1
        values: dict[str, Any] = {
            "title": version.title,
            "body": version.body,
            "body_html": render(version.body),
            "fields": version.fields,
            "knowledge_level": level,
            "revision": number,
        }
        move = domain.edited(domain.Item.of(row, co_edited=False))
        if move is None:
            values["step"] = row["step"]
            saved = self.contents.update(str(row["id"]), values, at)
        else:
            saved = self.apply(row, [move], by, at, **values)
        self.contents.insert_revision(str(row["id"]), number, dataclasses.asdict(version), by, at)
        self.emit(CONTENT_UPDATED, saved, updated_by=by, revision=number, changed=changed, merged=merged)
        return saved


def _unprocessable(name: str, message: str, code: str) -> errors.Unprocessable:
    return errors.Unprocessable(message, extra={"errors": {name: [message]}}, code=code)
