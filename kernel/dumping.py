"""Compiled marshmallow dumpers: ``compiled(schema)(obj) == schema.dump(obj)``, several times faster.

Why: ``Schema.dump`` pays, for every field of every object, ``Field.serialize`` -> ``get_value`` ->
the schema's accessor -> ``utils.get_value`` -> ``Field._serialize``. Lists of items (feeds, pages)
are dumped twice on their way out (by the service from rows, by the gateway from JSON), and that
is most of the time spent on those read paths.

What: ``compiled(schema)`` reads the schema *instance* once (its ``dump_fields``, which already
reflect ``only``, ``exclude`` and ``load_only``) into a plan: per field, the output key, where the
value comes from, and which exact value types are already what marshmallow would produce
(``str`` for a ``String``, ``int`` for an ``Integer``, ``None`` for most fields ...) or how to
convert them (``uuid.UUID`` -> ``str``, ``datetime`` -> ``isoformat()``, nested dicts -> the nested
schema's own plan). The plan is kept on the schema instance; schemas are long-lived module constants.

The invariant: for every input, the dumper returns exactly what ``schema.dump`` returns (same
keys, same order, same values), and raises where it raises. It holds because the plan only takes
shortcuts that are marshmallow 4's own code specialised to one exact type, and falls back to
marshmallow everywhere else:

* schema level: ``pre_dump``/``post_dump`` hooks, an overridden ``dump``/``_serialize``, or a
  ``dict_class`` other than ``dict`` -> ``compiled`` returns ``schema.dump`` itself;
* field level: a field with a ``dump_default``, an overridden ``serialize``/``get_value`` or no
  attribute to read (``Method``, ``Function``, ``Constant``) -> ``field.serialize(...)`` as
  ``Schema._serialize`` calls it; a field class not known here (``Pluck``, ``Enum``, ``Decimal``,
  ``Tuple``, a subclass overriding ``_serialize`` ...) -> ``field._serialize`` on the value read;
* value level: a value whose exact type the plan does not know (an ``int`` in a ``String``, a
  ``str`` in a ``DateTime``, a ``bool`` in an ``Integer``, a dict subclass ...) -> ``field._serialize``.

Reading a value: marshmallow's ``get_value`` tries ``obj[attr]`` then ``getattr(obj, attr)``. For
an object whose type is exactly ``dict`` and a plain attribute name that is no attribute of a dict
(``items``, ``keys`` ... are, and marshmallow would return the bound method!) that is
``obj.get(attr, missing)``; everything else goes through ``schema.get_attribute``.

A dumper reflects the schema's fields when it was built: changing ``only``/``exclude`` of a
schema instance afterwards (``_init_fields``) makes ``compiled`` build a new plan; a dumper kept
from before does not see it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.constants import missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

__all__ = ["compiled", "dump_many"]

Dumper = Callable[[Any], Any]
#: exact value types dumped as they are (``None``: every value), and converters by exact type
Spec = tuple[frozenset[type] | None, dict[type, Callable[[Any], Any]]]

#: nested schemas deeper than this are dumped by marshmallow (self-referencing schemas)
MAX_DEPTH = 5
#: where the plan of a schema instance is kept: ``(schema, its dump_fields, its many, one, dumper)``
_CACHE = "_kernel_compiled_dump"
_NONE = type(None)
#: a subclass of a known field class defining one of these behaves differently: not fast-pathed
_BEHAVIOUR = frozenset(
    {
        "serialize",
        "_serialize",
        "get_value",
        "_format_num",
        "_to_string",
        "num_type",
        "mapping_type",
        "SERIALIZATION_FUNCS",
        "DEFAULT_FORMAT",
        "schema",
        "_CHECK_ATTRIBUTE",
    }
)
#: the field classes fast-pathed (subclasses too, unless they define one of ``_BEHAVIOUR``)
_KNOWN: tuple[type[fields.Field], ...] = (
    fields.Raw,
    fields.Boolean,
    fields.String,
    fields.UUID,
    fields.Integer,
    fields.Float,
    fields.DateTime,
    fields.Date,
    fields.Dict,
    fields.List,
    fields.Nested,
)


def compiled(schema: Schema) -> Dumper:
    """``dump(obj)``, equal to ``schema.dump(obj)`` (a list when the schema has ``many=True``)."""
    return _compiled(schema)[1]


def dump_many(schema: Schema, objs: Iterable[Any]) -> list[Any]:
    """``schema.dump(objs, many=True)``."""
    one = _compiled(schema)[0]
    if one is None or (type(objs) is not list and type(objs) is not tuple):
        return schema.dump(objs, many=True)
    return [one(obj) for obj in objs]


def _compiled(schema: Schema) -> tuple[Dumper | None, Dumper]:
    """The dumper of one object (None: marshmallow's) and ``compiled(schema)``, built once."""
    cached = schema.__dict__.get(_CACHE)
    # a copy of the schema (``Nested`` copies instances) carries the original's plan: not ours
    if cached is not None and cached[0] is schema and cached[1] is schema.dump_fields and cached[2] == schema.many:
        return cached[3], cached[4]
    one = _dumper(schema, 0)
    dumper: Dumper
    if one is None:
        dumper = schema.dump
    elif schema.many:
        dumper = _many_or(one, schema.dump)
    else:
        dumper = one
    schema.__dict__[_CACHE] = (schema, schema.dump_fields, schema.many, one, dumper)
    return one, dumper


def _many_or(one: Dumper, fallback: Dumper) -> Dumper:
    def dump(objs: Any) -> Any:
        if type(objs) is list or type(objs) is tuple:
            return [one(obj) for obj in objs]
        return fallback(objs)

    return dump


def _dumper(schema: Schema, depth: int) -> Dumper | None:
    """The dumper of one object by ``schema`` (whatever its ``many``), or None: use marshmallow."""
    cls = type(schema)
    if (
        depth > MAX_DEPTH
        or schema._hooks.get(PRE_DUMP)
        or schema._hooks.get(POST_DUMP)
        or cls.dump is not Schema.dump
        or cls._serialize is not Schema._serialize
        or schema.dict_class is not dict
    ):
        return None
    get_attribute = schema.get_attribute
    plain_accessor = cls.get_attribute is Schema.get_attribute
    # (key, attribute, read with dict.get, whole field by marshmallow, same, converters, serialize, name)
    plan: list[tuple[str, str, bool, bool, frozenset[type] | None, dict, Callable[..., Any], str]] = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attr = field.attribute if field.attribute is not None else name
        ftype = type(field)
        if (
            ftype.serialize is not fields.Field.serialize
            or ftype.get_value is not fields.Field.get_value
            or not field._CHECK_ATTRIBUTE
            or field.dump_default is not missing
        ):
            plan.append((key, attr, False, True, None, {}, field.serialize, name))
            continue
        direct = plain_accessor and "." not in attr and not hasattr({}, attr)
        same, convs = _spec(field, depth) or (frozenset(), {})
        plan.append((key, attr, direct, False, same, convs, field._serialize, name))

    return _generate(plan, get_attribute)


def _generate(plan: list, get_attribute: Callable[..., Any]) -> Dumper:
    """The plan as straight-line Python: one block per field, its tests on the value's exact type
    written out (no loop over the plan, no tuple unpacking, no set lookups). The behaviour is that
    of this loop, field after field::

        value = obj.get(attr, missing) if direct and type(obj) is dict else get_attribute(obj, attr, missing)
        if value is not missing:
            if same is None or type(value) in same: out[key] = value
            elif type(value) in convs: out[key] = convs[type(value)](value)
            else: out[key] = serialize(value, name, obj)

    (a ``whole`` field: ``serialize(name, obj, accessor=get_attribute)``, kept unless missing)."""
    env: dict[str, Any] = {"missing": missing, "get_attribute": get_attribute}
    lines = [
        "def dump(obj):",
        "    out = {}",
        "    get = obj.get if type(obj) is dict else lambda attr, default: get_attribute(obj, attr, default)",
    ]
    for number, (key, attr, direct, whole, same, convs, serialize, name) in enumerate(plan):
        env[f"serialize{number}"] = serialize
        if whole:
            lines += [
                f"    value = serialize{number}({name!r}, obj, accessor=get_attribute)",
                "    if value is not missing:",
                f"        out[{key!r}] = value",
            ]
            continue
        read = f"get({attr!r}, missing)" if direct else f"get_attribute(obj, {attr!r}, missing)"
        lines += [f"    value = {read}", "    if value is not missing:"]
        if same is None:
            lines.append(f"        out[{key!r}] = value")
            continue
        tests = ["value is None"] if _NONE in same else []
        for index, kind in enumerate(sorted(same - {_NONE}, key=repr)):
            env[f"same{number}_{index}"] = kind
            tests.append(f"type(value) is same{number}_{index}")
        branch = "if"
        if tests:
            lines += [f"        if {' or '.join(tests)}:", f"            out[{key!r}] = value"]
            branch = "elif"
        for index, (kind, convert) in enumerate(convs.items()):
            env[f"kind{number}_{index}"], env[f"convert{number}_{index}"] = kind, convert
            lines += [
                f"        {branch} type(value) is kind{number}_{index}:",
                f"            out[{key!r}] = convert{number}_{index}(value)",
            ]
            branch = "elif"
        if branch == "if":  # nothing known: marshmallow's own code for every value
            lines.append(f"        out[{key!r}] = serialize{number}(value, {name!r}, obj)")
        else:
            lines += ["        else:", f"            out[{key!r}] = serialize{number}(value, {name!r}, obj)"]
    lines.append("    return out")
    exec(compile("\n".join(lines), "<kernel.dumping>", "exec"), env)  # noqa: S102 - our own text, from the plan
    return env["dump"]


def _known(field: fields.Field) -> type[fields.Field] | None:
    """The known class whose ``_serialize`` the field runs unchanged, or None."""
    for cls in type(field).__mro__:
        if cls in _KNOWN:
            return cls
        if _BEHAVIOUR.intersection(vars(cls)):
            return None
    return None


def _spec(field: fields.Field, depth: int) -> Spec | None:
    """What ``field._serialize(value, ...)`` does for some exact value types, or None: nothing known."""
    kind = _known(field)
    if kind is fields.Raw or kind is fields.Boolean:  # Field._serialize: the value as it is
        return None, {}
    if kind is fields.String:
        return frozenset({str, _NONE}), {}
    if kind is fields.UUID:
        return frozenset({str, _NONE}), {uuid.UUID: str}
    if kind is fields.Integer or kind is fields.Float:
        assert isinstance(field, fields.Integer | fields.Float)
        num = int if kind is fields.Integer else float
        if field.as_string:
            return frozenset({_NONE}), {num: str}
        return frozenset({num, _NONE}), {int: float} if num is float else {}
    if kind is fields.DateTime or kind is fields.Date:
        assert isinstance(field, fields.DateTime | fields.Date)
        serialize = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        value_type = dt.datetime if kind is fields.DateTime else dt.date
        return frozenset({_NONE}), {value_type: serialize} if serialize is not None else {}
    if kind is fields.Dict:
        assert isinstance(field, fields.Dict)
        return _dict_spec(field, depth)
    if kind is fields.List:
        assert isinstance(field, fields.List)
        convert = _list_converter(field, depth)
        return frozenset({_NONE}), {list: convert, tuple: convert} if convert is not None else {}
    if kind is fields.Nested:
        assert isinstance(field, fields.Nested)
        return _nested_spec(field, depth)
    return None


def _item(field: fields.Field, attr: str | None, depth: int) -> Callable[[Any], Any] | None:
    """``field._serialize(value, attr, None)`` for one value (a list's item, a dict's value), or None."""
    spec = _spec(field, depth)
    if spec is None:
        return None
    same, convs = spec
    if same is None:
        return _identity
    serialize = field._serialize

    def item(value: Any) -> Any:
        if type(value) in same:
            return value
        convert = convs.get(type(value))
        return serialize(value, attr, None) if convert is None else convert(value)

    return item


def _identity(value: Any) -> Any:
    return value


def _list_converter(field: fields.List, depth: int) -> Callable[[Any], list] | None:
    """``List._serialize``: the inner field's ``_serialize`` on each item."""
    item = _item(field.inner, field.name, depth)
    if item is None:
        return None
    if item is _identity:
        return list
    return lambda value: [item(each) for each in value]


def _dict_spec(field: fields.Dict, depth: int) -> Spec | None:
    """``Mapping._serialize``: a copy, keys through the key field, values through the value field."""
    if field.key_field is None and field.value_field is None:
        return frozenset({_NONE}), {dict: dict}
    if field.key_field is not None and _known(field.key_field) is not fields.String:
        return None
    item = _identity if field.value_field is None else _item(field.value_field, None, depth)
    if item is None:
        return None
    serialize = field._serialize
    text_keys = field.key_field is not None

    def convert(value: dict) -> dict:
        if text_keys:
            for key in value:
                if type(key) is not str:  # the key field makes it text
                    return serialize(value, None, None)
        if item is _identity:
            return dict(value)
        return {key: item(each) for key, each in value.items()}

    return frozenset({_NONE}), {dict: convert}


def _nested_spec(field: fields.Nested, depth: int) -> Spec:
    """``Nested._serialize``: the nested schema's dump, of one object or of each (``many``)."""
    nested = field.schema
    one = _dumper(nested, depth + 1)
    if one is None:
        return frozenset({_NONE}), {}
    if nested.many or field.many:

        def many(value: Any) -> list:
            return [one(each) for each in value]

        return frozenset({_NONE}), {list: many, tuple: many}
    return frozenset({_NONE}), {dict: one}
