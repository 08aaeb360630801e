"""Calling gateway route handlers directly, with the services' RPC mocked (nameko's
``worker_factory``): the worker, the request, and what came back."""

from __future__ import annotations

import json
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.auth import WorkerAuthenticator
from gateway.openapi import build_openapi
from gateway.service import GatewayService
from kernel import errors
from kernel.auth import Actor


def gateway_as(actor: Actor):
    """A ``GatewayService`` worker whose token verifier accepts any token as ``actor``."""
    verifier = Mock()
    verifier.verify.return_value = actor
    return worker_factory(GatewayService, authenticator=WorkerAuthenticator(verifier, Mock()))


def request(method="GET", body=None, query=None, token=True, headers=None, path="/") -> Request:
    """A request with a JSON ``body``, a query string and, unless ``token=False``, a bearer token."""
    sent = {"Authorization": "Bearer a-token"} if token else {}
    builder = EnvironBuilder(
        method=method, path=path, json=body, query_string=query, headers={**sent, **(headers or {})}
    )
    return Request(builder.get_environ())


def answered(response):
    """``(status, JSON body or None)``."""
    return response.status_code, (json.loads(response.get_data()) if response.get_data() else None)


def rpc_calls(gateway):
    """The positional arguments of each RPC the handler made."""
    return [c.args for c in gateway.services.call.call_args_list]


def refused(handler, req, **path):
    """The per-field errors of the InvalidInput a handler raises."""
    with pytest.raises(errors.InvalidInput) as caught:
        handler(req, **path)
    return caught.value.extra["errors"]


def valid_document() -> dict:
    """The gateway's OpenAPI document, checked by the validator."""
    built = build_openapi(GatewayService)
    validate(built)
    return built
