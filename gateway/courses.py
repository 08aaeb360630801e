"""`/v1/contents/{id}/registrations|completions`: registering to a published course and marking its
completions, the source of micro-credentials, as the public API shows them (``docs/publishing.md``).

The gateway checks each body's shape; the publishing service decides who may (a course one may not
read does not exist: 404), keeps a course's capacity and its end, and emits the events.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from gateway.charter import UuidText
from gateway.content_schemas import ARCHIVED_PLACE, NO_CONTENT
from gateway.pagination import PageQuery, page_from, page_of
from gateway.routing import route
from gateway.rpc import ServiceClient
from gateway.schemas import ResponseSchema

NOT_A_COURSE = "The item is not a course (`not-a-course`)."
ORGANIZERS = "Only the course's author or a validator (`validate` in its space) does this (`forbidden`)."


class CourseCompletionSchema(Schema):
    user_id = UuidText(required=True, metadata={"description": "The registered user who completed the course."})


class CourseRegistrationSchema(ResponseSchema):
    course_id = fields.String(required=True)
    user_id = fields.String(required=True)
    registered_at = fields.String(metadata={"format": "date-time"})
    completed_at = fields.String(allow_none=True, metadata={"format": "date-time", "description": "Null until then."})
    completed_by = fields.String(
        allow_none=True, metadata={"description": "Who marked the completion (the author or a validator), or null."}
    )


class CourseRoutes:
    """Mixed into ``GatewayService``; ``self.services`` calls the publishing service."""

    services: ServiceClient  # the gateway's ServiceRpc dependency, per worker

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/registrations",
        summary="Register to a course",
        tags=["courses"],
        response=CourseRegistrationSchema,
        status=201,
        auth=True,
        responses={
            404: f"{NO_CONTENT} Or: it is not published.",
            409: f"The course is full (`course-full`) or over (`course-over`). Or: {ARCHIVED_PLACE}",
            422: NOT_A_COURSE,
        },
    )
    def register_to_course(self, request, content_id, actor):
        """A signed-in reader of a published course registers to it, within its `capacity` and until its
        `ends_at`; registering again answers the same registration."""
        return self.services.call("publishing", "register", actor.as_dict(), str(content_id))

    @route(
        "POST",
        "/v1/contents/{content_id:uuid}/completions",
        summary="Mark a course completed",
        tags=["courses"],
        body=CourseCompletionSchema,
        response=CourseRegistrationSchema,
        status=201,
        auth=True,
        responses={
            403: ORGANIZERS,
            404: f"{NO_CONTENT} Or: the user is not registered (`registration-not-found`).",
            422: NOT_A_COURSE,
        },
    )
    def complete_course(self, request, content_id, body, actor):
        """The course's author, or a validator in its space, marks a registered user as having completed
        it; marking again answers the same registration."""
        return self.services.call("publishing", "complete", actor.as_dict(), str(content_id), body["user_id"])

    @route(
        "GET",
        "/v1/contents/{content_id:uuid}/registrations",
        summary="List a course's registrations",
        tags=["courses"],
        query=PageQuery,
        response=page_of(CourseRegistrationSchema),
        auth=True,
        responses={403: ORGANIZERS, 404: NO_CONTENT, 422: NOT_A_COURSE},
    )
    def list_course_registrations(self, request, content_id, query, actor):
        """The course's author or a validator: who registered, oldest first, with their completion."""
        return page_from(
            self.services.call(
                "publishing",
                "list_registrations",
                actor.as_dict(),
                str(content_id),
                query["limit"],
                query["cursor"],
            )
        )
