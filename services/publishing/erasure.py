"""The publishing service's part of the ``user.erased`` contract (docs/events.md): what an erased
account wrote stays, by an anonymous author; what only says something about the person goes.

Items, their revisions and comments keep their text with ``author_id`` null, reports they filed keep
no ``reporter_id``; their reactions and course registrations (completions included) are deleted, and
completions they marked keep no ``completed_by`` (``storage.ErasureStorage``). Applied once per event
(``on_event``'s inbox); every statement matches nothing a second time anyway.
"""

from __future__ import annotations

from typing import Any

from kernel.events.catalog import USER_ERASED
from kernel.events.consumer import on_event
from kernel.inputs import uuid_or_none
from services.publishing.storage import ErasureStorage


class ErasureEntrypoints:
    """Mixed into ``PublishingService``."""

    db: Any  # the worker's kernel.db.Transaction (the Database provider of PlatformService)

    @on_event(USER_ERASED)
    def anonymize_erased_user(self, event):
        """An erased account: its authorship anonymized, its reactions and registrations deleted."""
        user_id = uuid_or_none(event.data["user_id"])
        if user_id is not None:
            ErasureStorage(self.db).anonymize(user_id)
