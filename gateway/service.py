"""The HTTP gateway: the platform's one public door (``ecommunity-service gateway``).

It keeps nothing: it validates requests, calls the services by RPC and maps their errors to RFC 9457
problems through the kernel's single table. Operations of the public API are declared with
``gateway.routing.route`` and described at ``/openapi.json`` and ``/docs``; the probes and the
documentation itself are plain kernel ``http`` entrypoints, outside the API document.
"""

from __future__ import annotations

from gateway import docs
from gateway.accounts import AccountRoutes
from gateway.auth import Authenticator
from gateway.communities import CommunityRoutes
from gateway.courses import CourseRoutes
from gateway.discussion import DiscussionRoutes
from gateway.membership import MembershipRoutes
from gateway.moderation import ModerationRoutes
from gateway.openapi import OPENAPI_VERSION, openapi_json
from gateway.pagination import PageQuery, page_of
from gateway.people import PeopleRoutes
from gateway.platform_status import known_service, ping_report, service_page
from gateway.publishing import PublishingRoutes
from gateway.recovery import RecoveryRoutes
from gateway.routing import route
from gateway.rpc import ServiceRpc
from gateway.schemas import PingReportSchema, ServiceSchema
from gateway.search import SearchRoutes
from gateway.spaces import SpaceRoutes
from kernel.config import SERVICES
from kernel.service import Probes, Readiness
from kernel.web import http

OPENAPI_PATH = "/openapi.json"
NOT_ANSWERING = "A service did not answer in time, is not running, or failed; `services` names each one."


class GatewayService(
    AccountRoutes,
    PeopleRoutes,
    RecoveryRoutes,
    CommunityRoutes,
    SpaceRoutes,
    MembershipRoutes,
    PublishingRoutes,
    DiscussionRoutes,
    ModerationRoutes,
    CourseRoutes,
    SearchRoutes,
    Probes,
):
    name = "gateway"

    readiness = Readiness(database=True)  # it keeps nothing, but nothing works without PostgreSQL
    services = ServiceRpc()
    authenticator = Authenticator()

    # -- the API described --------------------------------------------------------------------------

    @http("GET", OPENAPI_PATH)
    def openapi(self, request):
        """The OpenAPI 3.1 document of every ``route`` of this class."""
        return 200, {"Content-Type": "application/json"}, openapi_json(type(self))

    @http("GET", docs.DOCS_PATH)
    def api_docs(self, request):
        return 200, docs.page_headers(docs.HTML), docs.docs_page(OPENAPI_PATH, OPENAPI_VERSION)

    @http("GET", docs.INIT_PATH)
    def docs_init(self, request):
        return 200, docs.page_headers(docs.JAVASCRIPT), docs.init_script()

    @http("GET", docs.ASSETS_PATH + "/<name>")
    def docs_asset(self, request, name):
        body, content_type = docs.asset(name)
        headers = {
            "Content-Type": content_type,
            "Cache-Control": docs.ASSET_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        }
        return 200, headers, body

    # -- /v1: platform ------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/ping",
        summary="Ping every service",
        tags=["platform"],
        response=PingReportSchema,
        responses={503: NOT_ANSWERING},
    )
    def ping_all(self, request):
        """Calls every service's `ping` at once and reports each answer: proof that the gateway, RabbitMQ,
        each service and its database work together. Waits at most the RPC timeout."""
        return ping_report(self.services.call_each(SERVICES, "ping"))

    @route(
        "GET",
        "/v1/ping/{service}",
        summary="Ping one service",
        tags=["platform"],
        response=PingReportSchema,
        responses={404: "There is no service of that name.", 503: NOT_ANSWERING},
    )
    def ping_one(self, request, service):
        """Calls one service's `ping`; the answer has the same shape as `GET /v1/ping`."""
        return ping_report(self.services.call_each([known_service(service)], "ping"))

    @route(
        "GET",
        "/v1/services",
        summary="List the platform's services",
        tags=["platform"],
        query=PageQuery,
        response=page_of(ServiceSchema),
    )
    def list_services(self, request, query):
        """The services the gateway routes to, by name, one page at a time."""
        return service_page(query["limit"], query["cursor"])
