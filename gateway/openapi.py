"""The OpenAPI document of the gateway, generated from its ``route`` declarations.

``build_openapi(GatewayService)`` reads the service class's operations (``gateway.routing``) and
their marshmallow schemas through apispec's ``MarshmallowPlugin``; nothing is started, so it is
unit-tested as it is. Every operation gets:

- its path parameters, its query schema expanded into parameters, its JSON request body;
- its success response, and a problem response (``application/problem+json`` with the reusable
  ``Problem`` schema) for each status it can answer with (``Operation.problem_statuses``);
- the optional ``X-Request-ID`` header (the correlation id, sent back on every response);
- the bearer security requirement when it is declared ``auth=True`` (optional with ``auth="optional"``).

``/openapi.json`` serves the document (OpenAPI 3.1.0); ``/docs`` renders that same document (see
``gateway.docs``).
"""

from __future__ import annotations

import json
from importlib import metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.auth import BEARER_SCHEME, BEARER_SCHEME_NAME
from gateway.routing import OPTIONAL, Operation, operations
from gateway.schemas import ProblemSchema
from kernel.web import PROBLEM_CONTENT_TYPE

OPENAPI_VERSION = "3.1.0"
TITLE = "eCommunity API"
DESCRIPTION = """\
The platform's HTTP API: define, validate, pilot, launch and run virtual communities.

- JSON in, JSON out. Every error is an RFC 9457 `application/problem+json` document whose `type`
  (`urn:ecommunity:problem:<code>`) programs can branch on; invalid input lists each field in `errors`.
- Send `X-Request-ID` to follow a request through the platform's logs; it is returned on every response
  (one is made up when you send none).
- Lists are paginated by cursor: `?limit=` (1..100, default 20) and `?cursor=` (the previous page's
  `next_cursor`), answering `{"items": [...], "next_cursor": ...}`; `next_cursor` is null on the last page.
"""

#: a description for each tag the routes use; a tag without one is still listed
TAG_DESCRIPTIONS = {
    "platform": "The platform itself: which services run, and whether they answer.",
}

REQUEST_ID_PARAMETER = {
    "in": "header",
    "name": "X-Request-ID",
    "required": False,
    "description": "Correlation id for the logs of every service this request reaches; echoed back.",
    "schema": {"type": "string", "maxLength": 200},
}


def api_version() -> str:
    """The version of the document: the installed ``ecommunity`` distribution's."""
    try:
        return metadata.version("ecommunity")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_openapi(service_cls: type) -> dict:
    """The OpenAPI document (a dict) of the operations ``service_cls`` declares with ``route``."""
    found = operations(service_cls)
    spec = APISpec(
        title=TITLE,
        version=api_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.parameter("RequestId", "header", REQUEST_ID_PARAMETER)
    if any(op.auth for op in found):
        spec.components.security_scheme(BEARER_SCHEME_NAME, BEARER_SCHEME)
    for tag in sorted({tag for op in found for tag in op.tags}):
        spec.tag({"name": tag, "description": TAG_DESCRIPTIONS[tag]} if tag in TAG_DESCRIPTIONS else {"name": tag})
    for op in found:
        spec.path(path=op.path, operations={op.method.lower(): operation_object(op)})
    return spec.to_dict()


def operation_object(op: Operation) -> dict:
    """The OpenAPI operation object of ``op`` (schemas still as classes: apispec resolves them)."""
    parameters: list = [
        {"in": "path", "name": p.name, "required": True, "schema": p.openapi_schema} for p in op.path_parameters
    ]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    parameters.extend(
        {"in": "header", "name": name, "required": False, "description": why, "schema": {"type": "string"}}
        for name, why in op.headers.items()
    )
    parameters.append("RequestId")
    operation: dict = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": list(op.tags),
        "parameters": parameters,
        "responses": {str(op.status): success_response(op)},
    }
    if op.description:
        operation["description"] = op.description
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if op.auth == OPTIONAL:
        operation["security"] = [{}, {BEARER_SCHEME_NAME: []}]  # anonymous, or a bearer token
    elif op.auth:
        operation["security"] = [{BEARER_SCHEME_NAME: []}]
    for status, why in op.problem_statuses().items():
        operation["responses"][str(status)] = {
            "description": why,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": "Problem"}},
        }
    return operation


def success_response(op: Operation) -> dict:
    found: dict = {"description": op.summary}
    if op.response_headers:
        found["headers"] = {
            name: {"description": why, "schema": {"type": "string"}} for name, why in op.response_headers.items()
        }
    if op.status != 204 and op.response is not None:
        found["content"] = {"application/json": {"schema": op.response}}
    return found


_SERIALISED: dict[type, str] = {}


def openapi_json(service_cls: type) -> str:
    """``build_openapi`` serialised, once per service class (the routes never change)."""
    if service_cls not in _SERIALISED:
        _SERIALISED[service_cls] = json.dumps(build_openapi(service_cls), separators=(",", ":"))
    return _SERIALISED[service_cls]
