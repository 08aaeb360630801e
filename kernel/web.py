"""HTTP for every process: JSON in and out, RFC 9457 problems, the one error table.

``http`` is nameko's HTTP entrypoint made strict:

- the worker's database transaction is settled *before* the response is written;
- any exception becomes ``application/problem+json`` through ``PROBLEMS`` (the single table
  mapping service exceptions to HTTP); unexpected ones become a 500 without details;
- unknown paths (404), wrong methods (405, with ``Allow``) and bodies over the limit (413) are
  problems too, never werkzeug's HTML pages;
- the correlation id comes from ``X-Request-ID`` (or is made) and is sent back in that header.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import partial

from eventlet.event import Event as GreenEvent
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from kernel import errors
from kernel.config import settings_of
from kernel.db import settle_transactions
from kernel.metrics import HTTP_RESPONSES
from kernel.wire import http_body

log = logging.getLogger(__name__)

PROBLEM_TYPE_PREFIX = "urn:ecommunity:problem:"
PROBLEM_CONTENT_TYPE = "application/problem+json"

#: service exception class -> (HTTP status, title). Subclasses map like their base.
PROBLEMS: dict[type[Exception], tuple[int, str]] = {
    errors.InvalidInput: (400, "Invalid input"),
    errors.Unauthenticated: (401, "Authentication required"),
    errors.PermissionDenied: (403, "Forbidden"),
    errors.NotFound: (404, "Not found"),
    errors.Conflict: (409, "Conflict"),
    errors.TooLarge: (413, "Content too large"),
    errors.Unprocessable: (422, "Unprocessable content"),
    errors.PreconditionRequired: (428, "Precondition required"),
    errors.RateLimited: (429, "Too many requests"),
    errors.Unavailable: (503, "Service unavailable"),
}

#: statuses the HTTP layer itself produces, with their stable codes
HTTP_CODES = {
    400: ("invalid-input", "Invalid input"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("unprocessable", "Unprocessable content"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


#: the members RFC 9457 defines, which extensions may not replace
RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


def problem(
    status: int,
    detail: str = "",
    code: str | None = None,
    title: str | None = None,
    headers: dict | None = None,
    **extensions,
) -> Response:
    default_code, default_title = HTTP_CODES.get(status, ("error", "Error"))
    body = {
        "type": PROBLEM_TYPE_PREFIX + (code or default_code),
        "title": title or default_title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    # an extension never replaces a member RFC 9457 defines (a service's ``extra={"status": ...}``)
    body.update({k: v for k, v in extensions.items() if v is not None and k not in RESERVED_MEMBERS})
    return Response(json.dumps(body), status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_from_exception(exc: BaseException) -> Response:
    for cls in type(exc).__mro__:
        if cls in PROBLEMS:
            status, title = PROBLEMS[cls]
            assert isinstance(exc, errors.ServiceError)
            # ``code`` is the problem type; a member RFC 9457 defines (or ``headers``) is never replaced
            extra = {k: v for k, v in exc.extra.items() if k not in RESERVED_MEMBERS and k not in ("code", "headers")}
            headers = None
            if status == 429 and "retry_after" in extra:
                headers = {"Retry-After": str(extra["retry_after"])}
            if status == 401:
                headers = {"WWW-Authenticate": 'Bearer realm="ecommunity"'}
            return problem(status, exc.detail, code=exc.code, title=title, headers=headers, **extra)
    if isinstance(exc, HTTPException):
        return problem_from_http_exception(exc)
    log.error("unhandled %s: %s", type(exc).__name__, exc, exc_info=exc)
    return problem(500, "The request could not be completed; it has been logged.")


def problem_from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = None
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers = {"Allow": ", ".join(sorted(exc.valid_methods))}
    detail = {
        404: "No resource at this path.",
        405: "This path does not accept that method.",
        413: "The request body is larger than the limit.",
    }.get(status, exc.description or "")
    return problem(status, detail, headers=headers)


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(http_body(payload), status=status, headers=headers, content_type="application/json")


class ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        request.max_content_length = self.server.max_body_bytes
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values  # type: ignore[attr-defined]  # nameko's convention
            length = request.content_length
            if length is not None and length > self.server.max_body_bytes:
                raise RequestEntityTooLarge()
            response = provider.handle_request(request)
            route = provider.url
        except HTTPException as exc:
            response = problem_from_http_exception(exc)
            route = "unmatched"
        cid = request.environ.get("ecommunity.correlation_id")
        if cid:
            response.headers["X-Request-ID"] = cid
        HTTP_RESPONSES.labels(request.method, route, str(response.status_code)).inc()
        return response(environ, start_response)


class ProblemWebServer(WebServer):
    """nameko's web server answering problems for unmatched requests."""

    @property
    def max_body_bytes(self) -> int:
        return settings_of(self.container).gateway_max_body_bytes

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def context_data_from_headers(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        cid = supplied if 0 < len(supplied) <= 200 and supplied.isprintable() else str(uuid.uuid4())
        request.environ["ecommunity.correlation_id"] = cid
        return {"correlation_id": cid}


class HttpEntrypoint(HttpRequestHandler):
    """An HTTP route whose errors are problems and whose transaction commits before the reply."""

    server = ProblemWebServer()

    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("expected_exceptions", errors.EXPECTED)
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        request.shallow = False
        try:
            context_data = self.server.context_data_from_headers(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = GreenEvent()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data, handle_result=partial(self.handle_result, done)
            )
            result, exc_info = done.wait()
            if exc_info is not None:
                return problem_from_exception(exc_info[1])
            return self.response_from_result(result)
        except Exception as exc:  # noqa: BLE001 - whatever happens, the client gets a problem
            return problem_from_exception(exc)

    def handle_result(self, done, worker_ctx, result, exc_info):
        exc_info = settle_transactions(worker_ctx, exc_info)
        done.send((result, exc_info))
        return result, exc_info

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers, payload = 200, None, result
        if isinstance(result, tuple):
            if len(result) == 3:
                status, headers, payload = result
            else:
                status, payload = result
        if isinstance(payload, (bytes, str)):
            return Response(payload, status=status, headers=headers)
        return json_response(payload, status, headers)


http = HttpEntrypoint.decorator

__all__ = ["PROBLEMS", "MethodNotAllowed", "NotFound", "http", "json_response", "problem"]
