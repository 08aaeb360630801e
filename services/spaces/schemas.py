"""marshmallow schemas of the spaces service's community and space RPCs: inputs (loaded with
``kernel.inputs.load``: InvalidInput per field, unknown fields refused) and outputs (JSON-able:
uuids and times as strings)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from kernel.access.rules import PERMISSIONS, STATES, VISIBILITIES
from kernel.events.catalog.spaces import ACCESS_MODES, KINDS, POLICIES
from services.spaces.domain import SECTIONS, SLUG_MAX, SLUG_PATTERN

KNOWLEDGE_LEVELS = ("confidential", "extended", "public")
VALIDATION_MODES = ("none", "pre_moderation", "multi_step")
LANGUAGE = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
CONTENT_TYPE = r"^[a-z][a-z0-9_]{0,39}$"
ITEM_ID = r"^[a-z][a-z0-9_-]{0,39}$"


class Trimmed(fields.String):
    """A string with surrounding whitespace removed before it is validated."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Slug(fields.String):
    """A slug, lowercased: unique whatever its case, so one form is stored."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=[validate.Length(max=SLUG_MAX), validate.Regexp(SLUG_PATTERN)], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _matrix(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.List(fields.String(validate=validate.OneOf(PERMISSIONS))),
        **kwargs,
    )


def _text(limit: int, **kwargs: Any) -> Trimmed:
    return Trimmed(validate=validate.Length(max=limit), **kwargs)


# -- charter ------------------------------------------------------------------------------------


class Objectives(_Strict):
    organization = _text(5000, load_default="")
    member = _text(5000, load_default="")


class Question(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(ITEM_ID))
    label = Trimmed(required=True, validate=validate.Length(min=1, max=500))
    required = fields.Boolean(load_default=False)


class Attestation(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(ITEM_ID))
    text = Trimmed(required=True, validate=validate.Length(min=1, max=1000))


class Criteria(_Strict):
    questions = fields.List(fields.Nested(Question), load_default=list, validate=validate.Length(max=30))
    attestations = fields.List(fields.Nested(Attestation), load_default=list, validate=validate.Length(max=30))


class Membership(_Strict):
    policy = fields.String(required=True, validate=validate.OneOf(POLICIES))
    sponsors_required = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=20))
    default_role = fields.String(load_default="member", validate=validate.Length(min=1, max=40))
    conditions = _text(5000, load_default="")
    criteria = fields.Nested(Criteria, load_default=lambda: {"questions": [], "attestations": []})


class Step(_Strict):
    name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))


def _steps() -> fields.List:
    return fields.List(fields.Nested(Step), load_default=list, validate=validate.Length(max=10))


class Rule(_Strict):
    """How items are validated: ``mode`` and, unless ``none``, the ordered ``steps``."""

    mode = fields.String(required=True, validate=validate.OneOf(VALIDATION_MODES))
    steps = _steps()


def _type_rules() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.Regexp(CONTENT_TYPE)),
        values=fields.Nested(Rule),
        load_default=dict,
        validate=validate.Length(max=30),
    )


class Validation(Rule):
    """The charter's policy: a rule for every content type, and ``types``: rules of their own for some."""

    types = _type_rules()


class SpaceValidation(_Strict):
    """A space's policy: ``inherit`` (its parent's, at the root the charter's), or a rule of its own
    (``mode``, ``steps``) and/or rules for some content types (``types``)."""

    inherit = fields.Boolean(required=True, truthy={True}, falsy={False})
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(VALIDATION_MODES))
    steps = _steps()
    types = _type_rules()

    @validates_schema
    def _own_rule_when_not_inherited(self, data: dict, **kwargs: Any) -> None:
        if data["inherit"] and (data.get("mode") is not None or data.get("steps") or data.get("types")):
            raise ValidationError("A space that inherits has no rule of its own.", "inherit")
        if not data["inherit"] and data.get("mode") is None and not data.get("types"):
            raise ValidationError("A space's own policy needs a mode or rules per content type.", "mode")
        if data.get("mode") is None and data.get("steps"):
            raise ValidationError("Steps belong to a mode.", "steps")


class Charter(_Strict):
    """A partial charter: each key given replaces that key of the current (or preset) charter."""

    objectives = fields.Nested(Objectives)
    topics = fields.List(Trimmed(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50))
    rules = _text(20000)
    access_mode = fields.String(validate=validate.OneOf(ACCESS_MODES))
    membership = fields.Nested(Membership)
    content_types = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=30)
    )
    validation = fields.Nested(Validation)
    default_knowledge_level = fields.String(validate=validate.OneOf(KNOWLEDGE_LEVELS))
    organizations = fields.List(fields.UUID(), validate=validate.Length(max=50))

    @post_load
    def _organizations_as_text(self, data: dict, **kwargs: Any) -> dict:
        if "organizations" in data:
            data["organizations"] = sorted({str(organization) for organization in data["organizations"]})
        return data


# -- community inputs ---------------------------------------------------------------------------


def _name(**kwargs: Any) -> Trimmed:
    return Trimmed(validate=validate.Length(min=1, max=200), **kwargs)


def _languages(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Regexp(LANGUAGE)), validate=validate.Length(min=1, max=20), **kwargs
    )


def _modules(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=50), **kwargs
    )


class NewCommunity(_Strict):
    name = _name(required=True)
    slug = Slug()
    description = _text(5000, load_default="")
    languages = _languages(load_default=lambda: ["en"])
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    charter = fields.Nested(Charter, load_default=dict)
    matrix = _matrix(load_default=dict)
    modules = _modules(load_default=None)
    work_packages = fields.List(_name(), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def _work_packages_of_projects(self, data: dict, **kwargs: Any) -> None:
        if data.get("work_packages") and data.get("kind") != "project":
            raise ValidationError("Only a project has work packages.", "work_packages")


class CommunityChanges(_Strict):
    """A partial update; ``kind`` is named only to refuse it clearly."""

    name = _name()
    slug = Slug()
    description = _text(5000)
    languages = _languages()
    charter = fields.Nested(Charter)
    kind = fields.Raw()

    @validates_schema
    def _kind_fixed(self, data: dict, **kwargs: Any) -> None:
        if "kind" in data:
            raise ValidationError("The kind of a community cannot change after creation.", "kind")


class CommunityId(_Strict):
    community_id = fields.UUID(required=True)


class Transition(_Strict):
    to = fields.String(required=True, validate=validate.OneOf(STATES))
    note = Trimmed(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class Section(_Strict):
    section = fields.String(required=True, validate=validate.OneOf(SECTIONS))


class FeedbackInput(_Strict):
    message = Trimmed(required=True, validate=validate.Length(min=1, max=5000))
    rating = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=5))


class Roles(_Strict):
    roles = _matrix(required=True)


class ModulesInput(_Strict):
    modules = _modules(required=True, allow_none=True)
    space_id = fields.String(load_default=None, allow_none=True)


# -- space inputs -------------------------------------------------------------------------------


class NewSpace(_Strict):
    name = _name(required=True)
    slug = Slug()
    description = _text(5000, load_default="")
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    parent_id = fields.String(load_default=None, allow_none=True)
    matrix = _matrix(load_default=None, allow_none=True)
    modules = _modules(load_default=None, allow_none=True)


class SpaceChanges(_Strict):
    name = _name()
    slug = Slug()
    description = _text(5000)
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    own_members = fields.Boolean(truthy={True}, falsy={False})


class SpacePermissions(_Strict):
    inherit = fields.Boolean(required=True, truthy={True}, falsy={False})
    matrix = _matrix(load_default=None, allow_none=True)

    @validates_schema
    def _matrix_when_not_inherited(self, data: dict, **kwargs: Any) -> None:
        if data["inherit"] and data.get("matrix") is not None:
            raise ValidationError("A space that inherits has no matrix of its own.", "matrix")
        if not data["inherit"] and data.get("matrix") is None:
            raise ValidationError("A space that does not inherit needs a matrix.", "matrix")


class Move(_Strict):
    parent_id = fields.String(required=True, allow_none=True)


# -- outputs ------------------------------------------------------------------------------------


class ReviewSectionOut(Schema):
    section = fields.String()
    validated = fields.Boolean()
    validated_by = fields.String(allow_none=True)
    validated_at = fields.AwareDateTime(allow_none=True)


class ReviewOut(Schema):
    sections = fields.List(fields.Nested(ReviewSectionOut))
    complete = fields.Boolean()


class CommunityOut(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    languages = fields.List(fields.String())
    kind = fields.String()
    state = fields.String()
    charter = fields.Raw()
    modules = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    state_changed_at = fields.AwareDateTime()
    my_role = fields.String(allow_none=True)
    my_permissions = fields.List(fields.String())
    spaces_count = fields.Integer()
    member_count = fields.Integer(allow_none=True)
    review = fields.Nested(ReviewOut, allow_none=True)


class ChangeOut(Schema):
    id = fields.Integer()
    community_id = fields.UUID()
    section = fields.String()
    setting = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    changed_by = fields.UUID(allow_none=True)
    changed_at = fields.AwareDateTime()


class FeedbackOut(Schema):
    id = fields.UUID()
    community_id = fields.UUID()
    user_id = fields.UUID(allow_none=True)
    message = fields.String()
    rating = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class RoleOut(Schema):
    name = fields.String()
    builtin = fields.Boolean()
    permissions = fields.List(fields.String())


class RolesOut(Schema):
    roles = fields.List(fields.Nested(RoleOut))
    permissions = fields.List(fields.String())


class ModuleOut(Schema):
    name = fields.String()
    title = fields.String()
    description = fields.String()
    content_types = fields.List(fields.String())


class SpaceOut(Schema):
    id = fields.UUID()
    community_id = fields.UUID()
    parent_id = fields.UUID(allow_none=True)
    name = fields.String()
    slug = fields.String()
    description = fields.String()
    visibility = fields.String()
    inherits_permissions = fields.Boolean()
    matrix = fields.Raw(allow_none=True)
    own_members = fields.Boolean()
    archived = fields.Boolean()
    modules = fields.List(fields.String())
    validation = fields.Raw(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    my_permissions = fields.List(fields.String())


class MyPermissionsOut(Schema):
    space_id = fields.UUID()
    community_id = fields.UUID()
    role = fields.String(allow_none=True)
    permissions = fields.List(fields.String())
