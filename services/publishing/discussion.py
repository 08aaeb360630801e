"""Discussion entrypoints of the publishing service: comments (one level of replies), reactions, and
a question's answers — posted by the same creation path as any item, marked when a verified expert
wrote them, one of them accepted by the asker or an expert (docs/publishing.md).

Comments and reactions belong to a published item and are read through its visibility: each query
joins the item and applies the caller's condition (``visibility.Reader``), so a comment, a reaction
or a count of an item one may not read does not exist (NotFound). Events carry no title and no text.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kernel import errors, paging
from kernel.auth import Actor
from kernel.entrypoints import rpc
from kernel.events.catalog import ANSWER_ACCEPTED, ANSWER_POSTED, COMMENT_CREATED, REACTION_ADDED
from kernel.inputs import load, uuid_or_none
from services.publishing import domain, restraints, schemas
from services.publishing.contents import NO_CONTENT, Desk, now, reader_of, signed_in
from services.publishing.rendering import check_body, render
from services.publishing.storage import DiscussionStorage
from services.publishing.visibility import Reader

NEW_COMMENT = schemas.NewComment()
REACTION = schemas.Reaction()
NEW_ANSWER = schemas.NewAnswer()
COMMENT = schemas.CommentOut()
REACTIONS = schemas.ReactionsOut()


def _published(row: dict) -> bool:
    return row["state"] == "published" and not row["hidden"]


class DiscussionEntrypoints(Desk):
    """Mixed into ``PublishingService``; ``create`` is ``ContentEntrypoints``' (an answer is an item)."""

    create: Any

    @property
    def discussion(self) -> DiscussionStorage:
        return DiscussionStorage(self.db)

    def discussed(self, caller: Actor | None, content_id: Any) -> tuple[dict, Reader]:
        """A published item the caller reads, and their ``Reader``; NotFound otherwise."""
        row, reader = self.located(caller, content_id)
        if not _published(row):
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        return row, reader

    def facts(self, row: dict) -> dict[str, Any]:
        """The item's place in a discussion event (no title, no text)."""
        return {
            "community_id": str(row["community_id"]),
            "space_id": str(row["space_id"]),
            "knowledge_level": row["knowledge_level"],
        }

    @staticmethod
    def writable(row: dict, reader: Reader) -> None:
        """Conflict ``archived`` when the community or the space is read-only."""
        if reader.read_only(str(row["space_id"]), str(row["community_id"])):
            raise errors.Conflict("The community or the space is archived and read-only.", code="archived")

    # -- comments ------------------------------------------------------------------------------------

    @rpc
    def list_comments(self, actor, content_id, limit=20, after=None):
        """*anon* Who reads a published item: its comments, oldest first (keyset on created_at, id);
        a reply names the comment it answers (``parent_id``)."""
        limit = paging.check_limit(limit)
        position = paging.position(after, created_at=datetime, id=uuid.UUID)
        row, reader = self.discussed(reader_of(actor), content_id)
        rows = self.discussion.comments(str(row["id"]), reader.published(), limit + 1, position)
        return paging.page(
            [COMMENT.dump(r) for r in rows], limit, lambda c: {"created_at": c["created_at"], "id": c["id"]}
        )

    @rpc
    def add_comment(self, actor, content_id, body, parent_id=None):
        """A comment on a published item the caller reads, with ``comment`` in its space; a reply to a
        comment (one level: not to a reply, Unprocessable ``reply-to-reply``). Markdown, rendered and
        sanitized. Raises InvalidInput, NotFound, PermissionDenied, Conflict ``archived``, TooLarge."""
        caller = signed_in(actor)
        clean = load(NEW_COMMENT, {"body": body, "parent_id": parent_id})
        row, reader = self.located(caller, content_id)
        if row["state"] == "archived":
            raise errors.Conflict("The item is archived and read-only.", code="archived")
        if not _published(row):
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        self.writable(row, reader)
        if "comment" not in reader.caller_in(str(row["space_id"])).permissions:
            raise errors.PermissionDenied(
                "This needs the 'comment' permission.", extra={"permission": "comment"}, code="missing-permission"
            )
        domain.check_unlocked(bool(row.get("locked")))
        permissions = reader.caller_in(str(row["space_id"])).permissions
        restraints.check_writing(self.db, caller, row["space_id"], row["community_id"], permissions, comment=True)
        parent = None
        if clean["parent_id"] is not None:
            key = uuid_or_none(clean["parent_id"])
            parent = None if key is None else self.discussion.comment(key, str(row["id"]))
            if parent is None:
                raise errors.NotFound("No such comment on this item.", code="comment-not-found")
            if parent["parent_id"] is not None:
                message = "A reply answers a comment, not another reply."
                raise errors.Unprocessable(message, extra={"errors": {"parent_id": [message]}}, code="reply-to-reply")
        check_body(clean["body"])
        comment = self.discussion.insert_comment(
            {
                "id": str(uuid.uuid4()),
                "content_id": str(row["id"]),
                "parent_id": None if parent is None else str(parent["id"]),
                "author_id": caller.user_id,
                "body": clean["body"],
                "body_html": render(clean["body"]),
                "at": now(),
            }
        )
        self.db.emit(
            COMMENT_CREATED,
            f"content/{row['id']}",
            {
                "comment_id": str(comment["id"]),
                "content_id": str(row["id"]),
                **self.facts(row),
                "author_id": str(caller.user_id),
                "parent_comment_id": None if parent is None else str(parent["id"]),
            },
        )
        return COMMENT.dump(comment)

    # -- reactions -----------------------------------------------------------------------------------

    @rpc
    def react(self, actor, content_id, reaction):
        """A signed-in reader's reaction to a published item (``like``, ``insightful``, ``thanks``,
        ``agree``); the same one again changes nothing. Answers the item's counts and the caller's own."""
        caller = signed_in(actor)
        chosen = load(REACTION, {"reaction": reaction})["reaction"]
        row, reader = self.discussed(caller, content_id)
        self.writable(row, reader)
        content_id = str(row["id"])
        if self.discussion.add_reaction(content_id, caller.user_id, chosen, now()):
            self.db.emit(
                REACTION_ADDED,
                f"content/{content_id}",
                {"content_id": content_id, **self.facts(row), "user_id": str(caller.user_id), "reaction": chosen},
            )
        counts, mine = self.discussion.reactions(content_id, reader.published(), caller.user_id)
        return REACTIONS.dump({"content_id": content_id, "reactions": counts, "mine": mine})

    # -- answers -------------------------------------------------------------------------------------

    @rpc
    def post_answer(self, actor, question_id, data):
        """An answer (a draft, which its author submits) to a published question the caller reads, by
        ``create_content``'s rules (``post`` in the question's space, the ``qa`` module...); marked
        ``by_expert`` when a verified expert writes it. Emits ``answer.posted``."""
        caller = signed_in(actor)
        clean = load(NEW_ANSWER, data)
        question, _ = self.located(caller, question_id)
        if question["type"] != "question":
            message = "Answers answer a question."
            raise errors.Unprocessable(message, extra={"errors": {"question_id": [message]}}, code="not-a-question")
        domain.check_unlocked(bool(question.get("locked")))
        row, reader = self.create(
            caller,
            str(question["space_id"]),
            {**clean, "type": "answer", "parent_id": str(question["id"])},
            by_expert=bool(caller.expert),
        )
        self.db.emit(
            ANSWER_POSTED,
            f"content/{question['id']}",
            {
                "answer_id": str(row["id"]),
                "question_id": str(question["id"]),
                **self.facts(row),
                "author_id": str(caller.user_id),
                "by_expert": row["by_expert"],
            },
        )
        return self.view(row, reader)

    @rpc
    def accept_answer(self, actor, answer_id):
        """The question's author, or a holder of ``validate`` in its space (an expert), accepts a
        published answer: it becomes the question's ``accepted_answer_id`` (replacing an earlier one).
        Emits ``answer.accepted``; answers the question."""
        caller = signed_in(actor)
        answer, reader = self.located(caller, answer_id)
        if answer["type"] != "answer":
            raise errors.NotFound("No such answer.", code="content-not-found")
        if not _published(answer):
            raise errors.Conflict("The answer is not published.", code="answer-not-published")
        question, reader = self.located(caller, answer["parent_id"], lock=True)
        self.writable(question, reader)
        asker = question["author_id"] is not None and str(question["author_id"]) == str(caller.user_id)
        if not asker and "validate" not in reader.caller_in(str(question["space_id"])).permissions:
            raise errors.PermissionDenied(
                "Only the question's author or an expert (`validate`) accepts an answer.", code="forbidden"
            )
        question = self.contents.update(str(question["id"]), {"accepted_answer_id": str(answer["id"])}, now())
        self.db.emit(
            ANSWER_ACCEPTED,
            f"content/{question['id']}",
            {
                "answer_id": str(answer["id"]),
                "question_id": str(question["id"]),
                **self.facts(question),
                "accepted_by": str(caller.user_id),
                "by_expert": answer["by_expert"],
            },
        )
        return self.view(question, reader)
