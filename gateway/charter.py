"""The charter of a community and the vocabulary of its settings, as the HTTP API takes and shows them
(``docs/spaces.md``): the request schemas refuse unknown fields and values outside the kernel's
vocabularies (kinds, access modes, policies, permissions), so that a mistake is a 400 naming the
field; the response schemas describe every field for ``/openapi.json``. Shared by the communities,
spaces and membership routes.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from gateway.schemas import ResponseSchema
from kernel.access.rules import PERMISSIONS
from kernel.events.catalog.spaces import ACCESS_MODES, POLICIES

#: the review's sections, in the order an owner usually validates them (docs/spaces.md)
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")
VALIDATION_MODES = ("none", "pre_moderation", "multi_step")
KNOWLEDGE_LEVELS = ("confidential", "extended", "public")
ROLE_NAME = validate.Regexp(r"^[a-z][a-z0-9_-]{1,39}$", error="Not a role name (a-z, 0-9, _ and -; 2 to 40).")
SLUG = validate.Regexp(
    r"^(?=.{1,60}$)[a-z0-9]+(?:-[a-z0-9]+)*$", error="Not a slug (a-z and 0-9 in words joined by -; at most 60)."
)
MODULE_NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Not a module name.")
LANGUAGE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Not a language tag such as en or fr-CA.")


class UuidText(fields.UUID):
    """A UUID checked like ``fields.UUID`` and loaded as its canonical text, ready for an RPC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


def matrix_field(**kwargs) -> fields.Dict:
    """Role -> permissions: roles are built-in or custom names, permissions the kernel's."""
    kwargs.setdefault(
        "metadata",
        {
            "description": "Each role's permissions, role by role (`owner` always has every permission); role "
            "names are built-in or custom (a-z, 0-9, _ and -, 2 to 40).",
            "example": {"member": ["read", "post", "comment"], "guest": ["read"]},
        },
    )
    kwargs["metadata"] = {"maxProperties": 50, **kwargs["metadata"]}
    return fields.Dict(
        keys=fields.String(validate=ROLE_NAME),
        values=fields.List(fields.String(validate=validate.OneOf(PERMISSIONS)), validate=validate.Length(max=10)),
        validate=at_most(50, "roles"),
        **kwargs,
    )


def at_most(count: int, what: str):
    """A validator of an object's number of members (``validate.Length`` would document a string's length)."""

    def check(value) -> None:
        if len(value) > count:
            raise ValidationError(f"At most {count} {what}.")

    return check


def text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


# -- the charter, in -----------------------------------------------------------------------------------


class ObjectivesInputSchema(Schema):
    organization = text(5000, metadata={"description": "What the organization expects of the community."})
    member = text(5000, metadata={"description": "What each member gets from it."})


class QuestionInputSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,39}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=500))
    required = fields.Boolean(load_default=False)


class AttestationInputSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,39}$"))
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CriteriaInputSchema(Schema):
    questions = fields.List(fields.Nested(QuestionInputSchema), validate=validate.Length(max=30))
    attestations = fields.List(fields.Nested(AttestationInputSchema), validate=validate.Length(max=30))


class MembershipRulesInputSchema(Schema):
    policy = fields.String(
        required=True, validate=validate.OneOf(POLICIES), metadata={"description": "How candidates join."}
    )
    sponsors_required = fields.Integer(
        validate=validate.Range(min=1, max=20), metadata={"description": "Co-optation: sponsors a candidate needs."}
    )
    default_role = fields.String(validate=ROLE_NAME, metadata={"description": "The role new members get."})
    conditions = text(5000)
    criteria = fields.Nested(CriteriaInputSchema, metadata={"description": "Criteria policy: the form to fill."})


class ValidationStepInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=ROLE_NAME)


CONTENT_TYPE_NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$")
RULE = (
    "none: published on submit; pre_moderation: one approval by `moderate` or `validate`; multi_step: the "
    "steps in order, each approved by its role."
)


def steps_input() -> fields.List:
    return fields.List(
        fields.Nested(ValidationStepInputSchema),
        validate=validate.Length(max=10),
        metadata={"description": "Ordered steps; at least one unless the mode is none."},
    )


class ValidationRuleInputSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(VALIDATION_MODES), metadata={"description": RULE})
    steps = steps_input()


def type_rules_input() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=CONTENT_TYPE_NAME),
        values=fields.Nested(ValidationRuleInputSchema),
        validate=validate.Length(max=30),
        metadata={"description": "Rules of their own for some content types (by type name)."},
    )


class ContentValidationInputSchema(ValidationRuleInputSchema):
    types = type_rules_input()


class CharterInputSchema(Schema):
    """The charter settings to set, each replaced whole (``membership`` with its policy, ``validation``
    with its mode); those not sent keep their value (at creation: the kind's preset)."""

    objectives = fields.Nested(ObjectivesInputSchema)
    topics = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=50))
    rules = text(20000)
    access_mode = fields.String(
        validate=validate.OneOf(ACCESS_MODES),
        metadata={"description": "open: one public space; authorized: members only; mixed: both."},
    )
    membership = fields.Nested(MembershipRulesInputSchema)
    content_types = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=30)
    )
    validation = fields.Nested(
        ContentValidationInputSchema, metadata={"description": "How publications are validated."}
    )
    default_knowledge_level = fields.String(validate=validate.OneOf(KNOWLEDGE_LEVELS))
    organizations = fields.List(
        UuidText(),
        validate=validate.Length(max=50),
        metadata={
            "description": "The community's organizations: their employees and partners read `extended` content."
        },
    )


# -- the charter, out ----------------------------------------------------------------------------------


class ObjectivesSchema(ResponseSchema):
    organization = fields.String()
    member = fields.String()


class QuestionSchema(ResponseSchema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    required = fields.Boolean()


class AttestationSchema(ResponseSchema):
    id = fields.String(required=True)
    text = fields.String(required=True)


class CriteriaSchema(ResponseSchema):
    questions = fields.List(fields.Nested(QuestionSchema))
    attestations = fields.List(fields.Nested(AttestationSchema))


class MembershipRulesSchema(ResponseSchema):
    policy = fields.String(metadata={"enum": list(POLICIES)})
    sponsors_required = fields.Integer(allow_none=True)
    default_role = fields.String()
    conditions = fields.String(allow_none=True)
    criteria = fields.Nested(CriteriaSchema, allow_none=True)


class ValidationStepSchema(ResponseSchema):
    name = fields.String(required=True)
    role = fields.String(required=True)


class ValidationRuleSchema(ResponseSchema):
    mode = fields.String(metadata={"enum": list(VALIDATION_MODES)})
    steps = fields.List(fields.Nested(ValidationStepSchema))


class ContentValidationSchema(ValidationRuleSchema):
    types = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ValidationRuleSchema),
        metadata={"description": "Rules of their own for some content types."},
    )


class CharterSchema(ResponseSchema):
    objectives = fields.Nested(ObjectivesSchema)
    topics = fields.List(fields.String())
    rules = fields.String()
    access_mode = fields.String(metadata={"enum": list(ACCESS_MODES)})
    membership = fields.Nested(MembershipRulesSchema)
    content_types = fields.List(fields.String())
    validation = fields.Nested(ContentValidationSchema)
    default_knowledge_level = fields.String(metadata={"enum": list(KNOWLEDGE_LEVELS)})
    organizations = fields.List(fields.String(), metadata={"description": "The community's organizations (ids)."})
