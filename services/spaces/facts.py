"""How the spaces service records a fact: one call emits the event through the outbox and applies it
to the service's own access read model, in the worker's transaction.

```python
facts = Facts(self.db)
facts.record(MEMBER_JOINED, f"community/{cid}", {"community_id": cid, "user_id": uid, "role": "member",
                                                  "via": "open"})
```

Events whose schema has a ``revision`` get the next value of the ``access_revision`` sequence,
taken here — after the entrypoint has locked the rows it changes (``SELECT ... FOR UPDATE`` on the
community), so that revisions follow the order in which changes commit. Access snapshots
(``community_access``, ``space_access``) are read from the service's own tables, after the change.
"""

from __future__ import annotations

from typing import Any

from kernel.access.readmodel import AccessReadModel
from kernel.events import catalog


class Facts:
    def __init__(self, db):
        self.db = db

    def record(self, event_type: str, subject: str, data: dict[str, Any]) -> dict:
        """Emit ``event_type`` (validated by the catalogue) and project it; returns the envelope."""
        data = dict(data)
        if "revision" in catalog.lookup(event_type).schema._declared_fields and "revision" not in data:
            data["revision"] = self.next_revision()
        envelope = self.db.emit(event_type, subject, data)
        AccessReadModel(self.db).project(event_type, envelope["data"])
        return envelope

    def next_revision(self) -> int:
        row = self.db.fetchone("SELECT nextval('access_revision') AS revision")
        assert row is not None
        return int(row["revision"])

    def community_access(self, community_id: str) -> dict:
        """The access snapshot of a community, as its events carry it."""
        row = self.db.fetchone(
            "SELECT id, state, matrix, charter, modules, languages FROM communities WHERE id = %s", (community_id,)
        )
        if row is None:
            raise LookupError(f"no community {community_id}")
        charter = row["charter"]
        return {
            "community_id": str(row["id"]),
            "state": row["state"],
            "matrix": row["matrix"],
            "settings": {
                "languages": list(row["languages"]),
                "modules": list(row["modules"]),
                "content_types": list(charter.get("content_types", [])),
                "validation": charter.get("validation"),
                "default_knowledge_level": charter.get("default_knowledge_level", "public"),
                "organizations": list(charter.get("organizations", [])),
            },
        }

    def space_access(self, space_id: str) -> dict:
        """The access snapshot of a space, as its events carry it."""
        row = self.db.fetchone(
            "SELECT id, community_id, parent_id, visibility, archived_at, matrix, own_members, modules, validation"
            " FROM spaces WHERE id = %s",
            (space_id,),
        )
        if row is None:
            raise LookupError(f"no space {space_id}")
        return {
            "space_id": str(row["id"]),
            "community_id": str(row["community_id"]),
            "parent_id": None if row["parent_id"] is None else str(row["parent_id"]),
            "visibility": row["visibility"],
            "archived": row["archived_at"] is not None,
            "matrix": row["matrix"],
            "own_members": row["own_members"],
            "modules": None if row["modules"] is None else list(row["modules"]),
            "validation": row["validation"],
        }
