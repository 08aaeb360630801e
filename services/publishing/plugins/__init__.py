"""Where the publishing service is extended: content types, declared as entry points and loaded once.

An installed package adds a kind of item by declaring a ``ContentType`` in the entry-point group
``ecommunity.content_types`` (the platform's own nine are in ``types.py``):

```python
content_types()            # {"news": ContentType(...), "topic": ContentType(...), ...}
content_type("news")       # ContentType(...), or Unprocessable "unknown-type"
NEWS.load_fields({...})    # the validated ``fields`` of an item, JSON-ready
```
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from marshmallow import Schema, ValidationError
from marshmallow import fields as ma_fields

from kernel.errors import InvalidInput, Unprocessable

CONTENT_TYPES_GROUP = "ecommunity.content_types"

# how ``describe()`` names a field's type to clients; checked most specific first (URL is a String)
_FIELD_TYPES: tuple[tuple[type[ma_fields.Field], str], ...] = (
    (ma_fields.AwareDateTime, "datetime"),
    (ma_fields.DateTime, "datetime"),
    (ma_fields.Date, "date"),
    (ma_fields.URL, "url"),
    (ma_fields.Email, "email"),
    (ma_fields.UUID, "uuid"),
    (ma_fields.String, "string"),
    (ma_fields.Integer, "integer"),
    (ma_fields.Float, "number"),
    (ma_fields.Decimal, "number"),
    (ma_fields.Boolean, "boolean"),
    (ma_fields.List, "list"),
    (ma_fields.Nested, "object"),
    (ma_fields.Dict, "object"),
)


def _type_name(field: ma_fields.Field) -> str:
    """A short, stable name of what a field holds (``string``, ``datetime``, ``list``...)."""
    for kind, name in _FIELD_TYPES:
        if isinstance(field, kind):
            return name
    return type(field).__name__.lower()


@dataclass(frozen=True)
class ContentType:
    """A kind of content item (news, topic, document...), what makes it differ from the others.

    - ``module``: the content module (spaces' ``ecommunity.modules``) that must be enabled in a space
      for new items of this type;
    - ``titled``: whether its items have a title (a reply or an answer has none);
    - ``parent``: the type of the item it answers (``reply`` → ``topic``), ``None`` for a root item;
    - ``co_edited``: whether members with ``co_edit`` edit it together (saves must name their base);
    - ``fields``: the marshmallow schema of its type-specific ``fields`` (strict: unknown keys refused).
    """

    name: str
    module: str
    title: str
    description: str
    fields: type[Schema]
    titled: bool = True
    parent: str | None = None
    co_edited: bool = False

    def load_fields(self, data: Any) -> dict:
        """Validate an item's ``fields`` and return them JSON-ready (datetimes as ISO 8601 text).

        ``None`` counts as no fields. Invalid input raises ``InvalidInput`` whose
        ``extra["errors"]["fields"]`` holds marshmallow's messages, keyed by field.
        """
        schema = self.fields()
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidInput("Invalid fields.", extra={"errors": {"fields": {"_schema": ["Must be an object."]}}})
        try:
            loaded = schema.load(data)
        except ValidationError as error:
            raise InvalidInput("Invalid fields.", extra={"errors": {"fields": error.messages}}) from error
        # dumping what was loaded turns datetimes (and any other rich value) back into JSON values,
        # normalized: what is stored in ``contents.fields`` is what a client reads back
        return schema.dump(loaded)

    def describe(self) -> dict:
        """What clients learn about the type (``GET /v1/content-types``); JSON-able."""
        declared = self.fields().fields
        return {
            "name": self.name,
            "module": self.module,
            "title": self.title,
            "description": self.description,
            "titled": self.titled,
            "parent": self.parent,
            "co_edited": self.co_edited,
            "fields": [
                {"name": field.data_key or name, "type": _type_name(field), "required": field.required}
                for name, field in declared.items()
                if not field.dump_only
            ],
        }


@cache
def content_types() -> dict[str, ContentType]:
    """The installed content types, by name, each checked to be a ``ContentType`` named as its entry point.

    Loaded once per process (entry points do not change while it runs): the dict is shared by every
    caller, read it, do not change it. A misdeclared entry point fails loudly here rather than on the
    first item of that type.
    """
    found: dict[str, ContentType] = {}
    for point in entry_points(group=CONTENT_TYPES_GROUP):
        loaded = point.load()
        if not isinstance(loaded, ContentType):
            raise TypeError(f"entry point {point.name!r} of {CONTENT_TYPES_GROUP} is not a ContentType: {loaded!r}")
        if loaded.name != point.name:
            raise ValueError(f"entry point {point.name!r} of {CONTENT_TYPES_GROUP} declares type {loaded.name!r}")
        found[point.name] = loaded
    return found


def content_type(name: str) -> ContentType:
    """The content type called ``name``; an unknown one is a 422 ``unknown-type``."""
    found = content_types().get(name) if isinstance(name, str) else None
    if found is None:
        raise Unprocessable(
            f"Unknown content type: {name}.",
            code="unknown-type",
            extra={"errors": {"type": [f"Must be one of: {', '.join(sorted(content_types()))}."]}},
        )
    return found
