"""Course entrypoints of the publishing service: registrations to a published course and their
completions, the source of micro-credentials (docs/publishing.md).

A signed-in reader of a published ``course`` registers (once: registering again answers the same
registration), within its ``capacity`` and until its ``ends_at``; the course's author, or a holder of
``validate`` in its space, marks a registered user as having completed it (once) and lists who
registered. The course is locked before a registration is counted, so its capacity holds under
concurrent registrations. Events carry no title and no text.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kernel import errors, paging
from kernel.auth import Actor
from kernel.entrypoints import rpc
from kernel.events.catalog import COURSE_COMPLETED, COURSE_REGISTERED
from kernel.inputs import load, uuid_or_none
from services.publishing import schemas
from services.publishing.contents import NO_CONTENT, Desk, now, signed_in
from services.publishing.storage import CourseStorage
from services.publishing.visibility import Reader

COMPLETION = schemas.Completion()
REGISTRATION = schemas.RegistrationOut()
NO_REGISTRATION = "This user is not registered to the course."


def _moment(value: Any) -> datetime | None:
    """A course field's time (stored as RFC 3339 text), or None."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class CourseEntrypoints(Desk):
    """Mixed into ``PublishingService``."""

    @property
    def courses(self) -> CourseStorage:
        return CourseStorage(self.db)

    def course(self, caller: Actor, course_id: Any, lock: bool = True) -> tuple[dict, Reader]:
        """The course (locked with ``lock``) as the caller reads it; NotFound, or Unprocessable
        ``not-a-course``."""
        row, reader = self.located(caller, course_id, lock=lock)
        if row["type"] != "course":
            message = "Only a course takes registrations."
            raise errors.Unprocessable(message, extra={"errors": {"course_id": [message]}}, code="not-a-course")
        return row, reader

    def emit_course(self, event_type: str, row: dict, registration: dict, **data: Any) -> None:
        """A course event: the course's place and the registered user (no title, no text)."""
        self.db.emit(
            event_type,
            f"content/{row['id']}",
            {
                "course_id": str(row["id"]),
                "community_id": str(row["community_id"]),
                "space_id": str(row["space_id"]),
                "knowledge_level": row["knowledge_level"],
                "user_id": str(registration["user_id"]),
                **data,
            },
        )

    @staticmethod
    def check_organizer(caller: Actor, row: dict, reader: Reader) -> None:
        """PermissionDenied unless the caller wrote the course or holds ``validate`` in its space."""
        author = row["author_id"] is not None and str(row["author_id"]) == str(caller.user_id)
        if not author and "validate" not in reader.caller_in(str(row["space_id"])).permissions:
            raise errors.PermissionDenied(
                "Only the course's author or a validator (`validate`) does this.", code="forbidden"
            )

    @rpc
    def register(self, actor, course_id):
        """A signed-in reader registers to a published course; registering again answers the same
        registration and emits nothing. Raises NotFound, Unprocessable ``not-a-course``, Conflict
        ``course-full`` (its ``capacity`` reached), ``course-over`` (after its ``ends_at``), ``archived``."""
        caller = signed_in(actor)
        row, reader = self.course(caller, course_id)
        if row["state"] != "published" or row["hidden"]:
            raise errors.NotFound(NO_CONTENT, code="content-not-found")
        course_key = str(row["id"])
        existing = self.courses.registration(course_key, caller.user_id)
        if existing is not None:
            return REGISTRATION.dump(existing)
        if reader.read_only(str(row["space_id"]), str(row["community_id"])):
            raise errors.Conflict("The community or the space is archived and read-only.", code="archived")
        fields = dict(row["fields"] or {})
        at = now()
        ends_at = _moment(fields.get("ends_at"))
        if ends_at is not None and at > ends_at:
            raise errors.Conflict("The course is over.", code="course-over")
        capacity = fields.get("capacity")
        if capacity is not None and self.courses.count(course_key) >= capacity:
            raise errors.Conflict("The course is full.", extra={"capacity": capacity}, code="course-full")
        registration = self.courses.register(course_key, caller.user_id, at)
        self.emit_course(COURSE_REGISTERED, row, registration)
        return REGISTRATION.dump(registration)

    @rpc
    def complete(self, actor, course_id, user_id):
        """The course's author, or a holder of ``validate`` in its space, marks a registered user as
        having completed it; marking again answers the same registration and emits nothing. Raises
        InvalidInput, NotFound (the course, or ``registration-not-found``), PermissionDenied."""
        caller = signed_in(actor)
        clean = load(COMPLETION, {"user_id": user_id})
        row, reader = self.course(caller, course_id)
        self.check_organizer(caller, row, reader)
        course_key, learner = str(row["id"]), uuid_or_none(clean["user_id"])
        registration = None if learner is None else self.courses.registration(course_key, learner)
        if registration is None:
            raise errors.NotFound(NO_REGISTRATION, code="registration-not-found")
        if registration["completed_at"] is not None:
            return REGISTRATION.dump(registration)
        completed = self.courses.complete(course_key, str(registration["user_id"]), caller.user_id, now())
        assert completed is not None  # the course is locked: no concurrent completion
        self.emit_course(
            COURSE_COMPLETED,
            row,
            completed,
            completed_by=str(caller.user_id),
            completed_at=completed["completed_at"].isoformat(),
        )
        return REGISTRATION.dump(completed)

    @rpc
    def list_registrations(self, actor, course_id, limit=20, after=None):
        """The course's author or a validator: who registered, oldest first (keyset on
        registered_at, user_id), with their completion."""
        limit = paging.check_limit(limit)
        position = paging.position(after, registered_at=datetime, user_id=uuid.UUID)
        caller = signed_in(actor)
        row, reader = self.course(caller, course_id, lock=False)
        self.check_organizer(caller, row, reader)
        rows = self.courses.registrations(str(row["id"]), limit + 1, position)
        return paging.page(
            [REGISTRATION.dump(r) for r in rows],
            limit,
            lambda r: {"registered_at": r["registered_at"], "user_id": r["user_id"]},
        )
