"""``route``: one declaration per API operation, serving it and describing it for OpenAPI.

```python
@route("POST", "/v1/communities", summary="Create a community", tags=["communities"],
       body=NewCommunitySchema, response=CommunitySchema, status=201, responses={409: "The name is taken."})
def create_community(self, request, body):
    return self.services.call("spaces", "create_community", body)
```

The handler is registered with the kernel's ``http`` entrypoint, so the transaction, problem+json,
404/405/413 and correlation-id behaviour stay the kernel's. Around it, ``route``:

- with ``auth=True``, verifies the bearer token and passes the caller as ``actor=`` (see
  ``gateway.auth``: 401 problems); with ``auth="optional"`` a request without an ``Authorization``
  header is an anonymous visitor (``actor=None``) and one with a token is verified as above; then
  loads ``query`` from the query string and ``body`` from the JSON body with their schemas and
  passes them as the ``query=`` / ``body=`` arguments (see ``gateway.inputs`` for the 400/413/415
  problems);
- passes path parameters as keyword arguments: ``{name}`` is a string without ``/``, ``{name:int}``
  an int, ``{name:uuid}`` a ``uuid.UUID`` (a value that does not convert is a 404); a handler whose
  signature does not take exactly what its route passes is refused at import;
- ignores a body sent to a route declared without ``body``;
- dumps what the handler returns with ``response`` (a ``gateway.schemas.ResponseSchema``) and
  answers ``status`` (204: no body); a handler may instead return a werkzeug ``Response``, sent as
  it is.

The declaration is kept on the handler as an ``Operation``; ``operations(service_cls)`` collects a
service class's operations (inherited ones too, as nameko collects entrypoints) for the OpenAPI
builder — a registry per class, so a test service's routes never leak into the gateway's document.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from marshmallow import Schema
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.auth import authenticate
from gateway.inputs import load_json_body, load_query
from kernel.dumping import compiled
from kernel.errors import ServiceError
from kernel.web import http, json_response

#: the methods a route may use, in the order the OpenAPI document lists them on one path
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: path converter -> (werkzeug converter, OpenAPI schema of the parameter)
CONVERTERS: dict[str, tuple[str, dict]] = {
    "str": ("string", {"type": "string"}),
    "int": ("int", {"type": "integer", "minimum": 0}),
    "uuid": ("uuid", {"type": "string", "format": "uuid"}),
}
#: ``route(auth=OPTIONAL)``: anonymous visitors are welcome, a token sent is verified
OPTIONAL = "optional"
RESERVED_ARGUMENTS = frozenset({"self", "request", "body", "query", "actor"})
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")

SchemaLike = type[Schema] | Schema


@dataclass(frozen=True)
class PathParameter:
    name: str
    converter: str

    @property
    def openapi_schema(self) -> dict:
        return dict(CONVERTERS[self.converter][1])


@dataclass(frozen=True)
class Operation:
    """What OpenAPI needs to know about one route."""

    method: str
    path: str  #: OpenAPI template, ``/v1/spaces/{space_id}``
    rule: str  #: werkzeug rule, ``/v1/spaces/<uuid:space_id>``
    operation_id: str
    summary: str
    description: str
    tags: tuple[str, ...]
    body: SchemaLike | None = None
    query: SchemaLike | None = None
    response: SchemaLike | None = None
    status: int = 200
    responses: Mapping[int, str] = field(default_factory=dict)
    auth: bool | str = False  #: True, False or "optional"
    path_parameters: tuple[PathParameter, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  #: request headers it reads (optional ones)
    response_headers: Mapping[str, str] = field(default_factory=dict)  #: headers its success answer carries

    def problem_statuses(self) -> dict[int, str]:
        """Each problem status this operation can answer, with why (declared ones win)."""
        found: dict[int, str] = {}
        if self.body is not None or self.query is not None:
            found[400] = "The request is malformed or fails validation; `errors` lists each field."
        if self.auth == OPTIONAL:
            found[401] = "An access token was sent and is not valid (send none to act anonymously)."
            found[403] = "The caller may not do this."
        elif self.auth:
            found[401] = "No valid access token was sent."
            found[403] = "The caller may not do this."
        if self.body is not None:
            found[413] = "The request body is larger than the limit."
            found[415] = "The request body is not JSON."
        found.update(self.responses)
        found[500] = "An unexpected error; it has been logged."
        return dict(sorted(found.items()))


def parse_path(path: str) -> tuple[str, str, tuple[PathParameter, ...]]:
    """``/v1/x/{id:int}`` -> (OpenAPI path ``/v1/x/{id}``, werkzeug rule ``/v1/x/<int:id>``, parameters)."""
    if not path.startswith("/") or "<" in path or ">" in path:
        raise ValueError(f"route path {path!r} must start with / and use {{name}} parameters")
    parameters: list[PathParameter] = []

    def to_rule(match: re.Match) -> str:
        name, converter = match.group(1), match.group(2) or "str"
        if converter not in CONVERTERS:
            raise ValueError(f"route path {path!r}: unknown converter {converter!r}; use one of {sorted(CONVERTERS)}")
        if name in RESERVED_ARGUMENTS or any(p.name == name for p in parameters):
            raise ValueError(f"route path {path!r}: parameter name {name!r} is reserved or repeated")
        parameters.append(PathParameter(name, converter))
        werkzeug_converter = CONVERTERS[converter][0]
        return f"<{name}>" if werkzeug_converter == "string" else f"<{werkzeug_converter}:{name}>"

    rule = _PARAMETER.sub(to_rule, path)
    if "{" in rule or "}" in rule:
        raise ValueError(f"route path {path!r} has a malformed parameter")
    openapi_path = _PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)
    return openapi_path, rule, tuple(parameters)


def schema_instance(schema: SchemaLike) -> Schema:
    return schema() if isinstance(schema, type) else schema


def route(
    method: str,
    path: str,
    *,
    summary: str,
    tags: list[str] | tuple[str, ...],
    body: SchemaLike | None = None,
    query: SchemaLike | None = None,
    response: SchemaLike | None = None,
    status: int = 200,
    responses: Mapping[int, str] | None = None,
    auth: bool | str = False,
    headers: Mapping[str, str] | None = None,
    response_headers: Mapping[str, str] | None = None,
) -> Callable:
    """Declare and serve one API operation (see the module docstring). ``headers`` and
    ``response_headers`` (name -> description) document the optional request headers the handler
    reads and the headers its success answer carries."""
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"route method {method!r} is not one of {', '.join(METHODS)}")
    if body is not None and method == "GET":
        raise ValueError("a GET route takes no body")
    if not 200 <= status < 300:
        raise ValueError(f"route status {status} is not a success status")
    bad = [code for code in (responses or {}) if not 400 <= code < 600]
    if bad:
        raise ValueError(f"route responses {bad} are not problem statuses (4xx/5xx)")
    if auth not in (True, False, OPTIONAL):
        raise ValueError(f"route auth {auth!r} is not True, False or {OPTIONAL!r}")
    openapi_path, rule, parameters = parse_path(path)

    def decorator(handler: Callable) -> Callable:
        _check_handler(handler, [p.name for p in parameters], body is not None, query is not None, bool(auth))
        operation = Operation(
            method=method,
            path=openapi_path,
            rule=rule,
            operation_id=handler.__name__,
            summary=summary,
            description=_docstring(handler),
            tags=tuple(tags),
            body=body,
            query=query,
            response=response,
            status=status,
            responses=dict(responses or {}),
            auth=auth,
            path_parameters=parameters,
            headers=dict(headers or {}),
            response_headers=dict(response_headers or {}),
        )
        body_schema = schema_instance(body) if body is not None else None
        query_schema = schema_instance(query) if query is not None else None
        response_schema = schema_instance(response) if response is not None else None

        @functools.wraps(handler)
        def endpoint(self, request, **path_values):
            arguments = dict(path_values)
            if auth == OPTIONAL and "Authorization" not in request.headers:
                arguments["actor"] = None
            elif auth:
                arguments["actor"] = authenticate(self, request)
            if query_schema is not None:
                arguments["query"] = load_query(request, query_schema)
            if body_schema is not None:
                arguments["body"] = load_json_body(request, body_schema)
            result = handler(self, request, **arguments)
            return render(result, status, response_schema)

        endpoint.__operation__ = operation  # type: ignore[attr-defined]
        # werkzeug's HTTPExceptions (413, 415) are client errors, logged as expected like ServiceErrors
        return http(method, rule, expected_exceptions=(ServiceError, HTTPException))(endpoint)

    return decorator


def _check_handler(
    handler: Callable, path_names: list[str], takes_body: bool, takes_query: bool, takes_actor: bool
) -> None:
    """Refuse, at import, a handler that could not be called the way ``route`` will call it."""
    names = [
        *path_names,
        *(["body"] if takes_body else []),
        *(["query"] if takes_query else []),
        *(["actor"] if takes_actor else []),
    ]
    try:
        inspect.signature(handler).bind(None, None, **dict.fromkeys(names))
    except TypeError as exc:
        expected = ", ".join(["self", "request", *names])
        raise TypeError(f"route handler {handler.__name__} must take ({expected}): {exc}") from None


def render(result, status: int, response_schema: Schema | None) -> Response:
    """The HTTP response for what a handler returned."""
    if isinstance(result, Response):
        return result
    if status == 204:
        return Response(status=204)
    payload = compiled(response_schema)(result) if response_schema is not None else result
    return json_response(payload, status)


def operations(service_cls: type) -> list[Operation]:
    """The operations declared with ``route`` on ``service_cls`` and its bases, by path then method."""
    found: dict[tuple[str, str], Operation] = {}
    for name in dir(service_cls):
        operation = getattr(getattr(service_cls, name, None), "__operation__", None)
        if not isinstance(operation, Operation):
            continue
        key = (operation.method, operation.path)
        if key in found:
            raise ValueError(
                f"{operation.method} {operation.path} is declared twice ({found[key].operation_id}, {name})"
            )
        found[key] = operation
    return sorted(found.values(), key=lambda op: (op.path, METHODS.index(op.method)))


def _docstring(handler: Callable) -> str:
    return inspect.cleandoc(handler.__doc__ or "")
