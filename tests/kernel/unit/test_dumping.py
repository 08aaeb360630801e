"""kernel.dumping: a compiled dumper returns exactly what ``schema.dump`` returns, keys in the same order."""

import datetime as dt
import importlib
import pkgutil
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

import gateway
from gateway.schemas import ResponseSchema
from kernel.dumping import compiled, dump_many
from services.publishing import schemas as publishing_schemas

UTC = dt.UTC
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
AWARE = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
AWARE_NO_MICROSECONDS = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
NAIVE = dt.datetime(2024, 5, 6, 7, 8, 9, 500)


class SubDateTime(dt.datetime):
    """Not exactly a datetime: dumped by marshmallow's code."""


def assert_same(schema: Schema, obj: Any) -> bool:
    """``compiled(schema)(obj)`` equals ``schema.dump(obj)``, key order included, or raises the same.

    Whether marshmallow dumped ``obj`` (rather than raised)."""
    try:
        expected = schema.dump(obj)
    except (TypeError, ValueError, AttributeError, OverflowError) as error:
        with pytest.raises(type(error)):
            compiled(schema)(obj)
        return False
    got = compiled(schema)(obj)
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(expected, dict):
        assert list(got) == list(expected)
    assert repr(got) == repr(expected)  # nested key order too, and 1 vs 1.0 vs True
    return True


class Leaf(Schema):
    name = fields.String()
    size = fields.Integer()


class Hooked(Schema):
    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {key: value.upper() if isinstance(value, str) else value for key, value in data.items()}


class Everything(Schema):
    text = fields.String()
    email = fields.Email()
    number = fields.Integer()
    strict = fields.Integer(strict=True)
    number_text = fields.Integer(as_string=True)
    ratio = fields.Float()
    ratio_text = fields.Float(as_string=True)
    flag = fields.Boolean()
    id = fields.UUID()
    at = fields.DateTime()
    aware = fields.AwareDateTime()
    naive = fields.NaiveDateTime()
    stamp = fields.DateTime(format="timestamp")
    custom = fields.DateTime(format="%Y/%m/%d")
    day = fields.Date()
    raw = fields.Raw()
    mapping = fields.Dict()
    text_mapping = fields.Dict(keys=fields.String(), values=fields.Raw())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    leaves_by_name = fields.Dict(keys=fields.String(), values=fields.Nested(Leaf))
    renamed = fields.String(data_key="outside")
    moved = fields.String(attribute="elsewhere")
    dotted = fields.String(attribute="deep.inside")
    items = fields.String()  # also a dict's method: marshmallow reads it when the key is missing
    leaf = fields.Nested(Leaf, allow_none=True)
    leaves = fields.Nested(Leaf, many=True)
    leaves_by_instance = fields.Nested(Leaf(many=True))
    only_name = fields.Nested(Leaf, only=("name",))
    listed = fields.List(fields.Nested(Leaf))
    tags = fields.List(fields.String())
    numbers = fields.List(fields.Integer())
    hooked = fields.Nested(Hooked)
    method = fields.Method("describe")
    function = fields.Function(lambda obj: "f")
    constant = fields.Constant(42)
    defaulted = fields.String(dump_default="default")
    secret = fields.String(load_only=True)

    def describe(self, obj):
        return "method"


FULL = {
    "text": "hello",
    "email": "a@example.org",
    "number": 3,
    "strict": 4,
    "number_text": 5,
    "ratio": 1.5,
    "ratio_text": 2.5,
    "flag": True,
    "id": ID,
    "at": AWARE,
    "aware": AWARE_NO_MICROSECONDS,
    "naive": NAIVE,
    "stamp": AWARE,
    "custom": AWARE,
    "day": dt.date(2024, 5, 6),
    "raw": {"any": [1, "thing"]},
    "mapping": {"b": [2], "a": 1},
    "text_mapping": {"z": 1, "a": 2},
    "counts": {"love": 0, "like": 2},
    "leaves_by_name": {"y": {"size": 1, "name": "y"}, "x": {"name": "x"}},
    "outside": "not read: data_key is the output's key",
    "renamed": "in",
    "elsewhere": "moved",
    "deep": {"inside": "dotted"},
    "items": "items",
    "leaf": {"name": "leaf", "size": 1, "unknown": "dropped"},
    "leaves": [{"name": "a", "size": 1}, {"name": "b"}],
    "leaves_by_instance": [{"size": 3, "name": "c"}],
    "only_name": {"name": "only", "size": 9},
    "listed": [{"name": "a"}, None, {"size": 2}],
    "tags": ["a", "b"],
    "numbers": [1, 2],
    "hooked": {"name": "quiet"},
    "secret": "never dumped",
}

WRONG_TYPES = {
    "text": 12,
    "email": None,
    "number": "7",
    "strict": True,
    "number_text": 5.9,
    "ratio": 2,
    "ratio_text": 3,
    "flag": "yes",
    "id": str(ID),
    "at": SubDateTime(2024, 1, 2, tzinfo=UTC),
    "aware": NAIVE,
    "naive": AWARE,
    "stamp": NAIVE,
    "custom": NAIVE,
    "day": AWARE,
    "raw": None,
    "mapping": [("a", 1)],
    "text_mapping": {1: "one", "two": 2},
    "counts": {"like": "2"},
    "leaves_by_name": {"x": None},
    "renamed": b"bytes",
    "elsewhere": uuid.uuid4(),
    "deep": None,
    "items": None,
    "leaf": SimpleNamespace(name="object", size=2),
    "leaves": ({"name": "tuple"},),
    "only_name": None,
    "listed": ({"name": "tuple"},),
    "tags": ("a", 1, None),
    "numbers": [1, "2", True, None],
    "hooked": None,
}


@dataclass
class Thing:
    text: str = "object"
    number: int = 1
    id: uuid.UUID = ID
    at: dt.datetime = AWARE
    tags: tuple = ("x",)
    leaf: Any = None


@pytest.mark.parametrize(
    ("obj", "dumped"),
    [
        (FULL, True),
        (WRONG_TYPES, True),
        ({}, True),
        (dict.fromkeys(FULL), True),
        ({key: value for index, (key, value) in enumerate(FULL.items()) if index % 2}, True),
        ({**FULL, "number": 2**80, "ratio": float("nan"), "tags": [], "listed": [], "mapping": {}}, True),
        ({**FULL, "at": AWARE_NO_MICROSECONDS, "aware": AWARE, "day": dt.date(2020, 1, 1)}, True),
        (SimpleNamespace(**FULL), True),
        (Thing(), True),
        (Thing(leaf={"name": "in a dataclass"}), True),
        (None, True),
        ({**FULL, "at": AWARE.isoformat()}, False),  # text in a DateTime: marshmallow raises TypeError
        ({**FULL, "number": "seven"}, False),
        ({**FULL, "leaves": [1]}, True),  # getattr(1, "name", missing): dumped as {}
        ({**FULL, "leaves": 1}, False),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, bool) else ("dumped" if value else "raises"),
)
def test_a_compiled_dumper_dumps_as_marshmallow(obj, dumped):
    assert assert_same(Everything(), obj) is dumped


@pytest.mark.parametrize(
    "schema",
    [
        Everything(only=("renamed", "text", "leaf", "listed", "items")),
        Everything(exclude=("method", "function", "leaf")),
        Everything(only=("leaf.name", "listed.size", "tags")),
        Everything(many=True),
        Leaf(many=True),
        Hooked(),
    ],
    ids=["only", "exclude", "nested-only", "many", "leaf-many", "post-dump"],
)
@pytest.mark.parametrize("obj", [FULL, WRONG_TYPES, {}, dict.fromkeys(FULL)], ids=["full", "wrong", "empty", "none"])
def test_only_exclude_many_and_hooks(schema, obj):
    assert_same(schema, [obj, obj] if schema.many else obj)


def test_a_schema_with_hooks_is_dumped_by_marshmallow():
    schema = Hooked()
    assert compiled(schema) == schema.dump
    assert compiled(schema)({"name": "quiet"}) == {"name": "QUIET"}


def test_a_field_named_like_a_dict_method_reads_it_as_marshmallow_does():
    schema = Everything(only=("items",))
    assert_same(schema, {})  # marshmallow dumps str(dict.items) here: so does the compiled dumper
    assert compiled(schema)({"items": "x"}) == {"items": "x"}


class Tree(Schema):
    label = fields.String()
    children = fields.List(fields.Nested(lambda: Tree()))
    parent = fields.Nested("Tree", allow_none=True)


def test_a_self_nesting_schema_is_dumped_as_marshmallow():
    tree: dict[str, Any] = {"label": "leaf", "children": []}
    for depth in range(12):
        tree = {"label": str(depth), "children": [tree, {"label": "x"}], "parent": {"label": "p", "parent": None}}
    assert assert_same(Tree(), tree)


class Accessed(Leaf):
    def get_attribute(self, obj, attr, default):
        return obj.get(attr.upper(), default)


def test_an_overridden_accessor_is_used():
    assert assert_same(Accessed(), {"NAME": "upper", "name": "lower", "SIZE": 1})


def test_the_dumper_is_built_once_per_schema_instance():
    schema = Everything()
    assert compiled(schema) is compiled(schema)
    assert compiled(schema) != schema.dump
    assert compiled(Everything()) is not compiled(schema)


def test_a_copied_schema_gets_its_own_dumper():
    schema = Leaf()
    compiled(schema)
    nested = fields.Nested(schema, only=("name",))
    nested._bind_to_schema("leaf", Everything())
    assert compiled(nested.schema)({"name": "n", "size": 1}) == {"name": "n"}
    assert compiled(schema)({"name": "n", "size": 1}) == {"name": "n", "size": 1}


def test_dump_many():
    schema = Everything()
    objs = [FULL, WRONG_TYPES, {}, None]
    assert dump_many(schema, objs) == schema.dump(objs, many=True)
    assert dump_many(schema, (obj for obj in objs)) == schema.dump(objs, many=True)
    assert dump_many(Hooked(), [{"name": "a"}]) == [{"name": "A"}]


# -- every response schema of the gateway and every schema of the publishing service ----------------


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def _real_schemas() -> list[type[Schema]]:
    for module in pkgutil.iter_modules(gateway.__path__):
        importlib.import_module(f"gateway.{module.name}")
    publishing = {
        value
        for value in vars(publishing_schemas).values()
        if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == publishing_schemas.__name__
    }
    return sorted(_subclasses(ResponseSchema) | publishing, key=lambda cls: (cls.__module__, cls.__name__))


def _sample(field: fields.Field, json: bool, depth: int = 0) -> Any:
    """A plausible value for ``field``: as from the database, or as from JSON (``json``: ids as text)."""
    if isinstance(field, fields.Nested):
        nested = _sample_object(field.schema, json, depth + 1) if depth < 3 else None
        return [nested, nested] if field.many or field.schema.many else nested
    if isinstance(field, fields.List):
        return [_sample(field.inner, json, depth), _sample(field.inner, json, depth)]
    if isinstance(field, fields.Dict):
        value = _sample(field.value_field, json, depth) if field.value_field is not None else [1, "x"]
        return {"second": None, "first": value}
    if isinstance(field, fields.UUID):
        return str(uuid.uuid4()) if json else uuid.uuid4()
    if isinstance(field, fields.DateTime):
        return dt.datetime.now() if json else dt.datetime.now(UTC)  # text would raise: marshmallow calls isoformat
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        return 7
    if isinstance(field, fields.Float):
        return 0.25
    if isinstance(field, fields.String):
        return "text"
    return {"raw": [1, None, "x"]}


def _sample_object(schema: Schema, json: bool, depth: int = 0) -> dict[str, Any]:
    return {
        field.attribute or name: _sample(field, json, depth)
        for name, field in schema.dump_fields.items()
        if field.attribute is None or "." not in field.attribute
    }


def test_every_real_schema_dumps_as_marshmallow():
    classes = _real_schemas()
    covered = skipped = 0
    for cls in classes:
        try:
            schema = cls()
        except TypeError:
            skipped += 1
            continue
        for json in (True, False):
            sample = _sample_object(schema, json)
            for obj in (sample, dict.fromkeys(sample), SimpleNamespace(**sample)):
                assert assert_same(schema, obj)
            assert_same(schema, {})  # a page's missing ``items`` is dict.items to marshmallow: TypeError
        covered += compiled(schema) != schema.dump  # not left to marshmallow
    assert covered > 50
    assert skipped <= covered // 10
