"""Exceptions a service raises where a rule is broken; the gateway maps each class to HTTP once.

They cross RPC intact (``deserialize_to_instance``): the gateway receives the same class with
the same ``detail``, ``code`` and ``extra``. ``code`` is the stable problem type the client sees
(``urn:ecommunity:problem:<code>``); ``extra`` carries structured details (per-field errors, the
allowed transitions, ...).
"""

from __future__ import annotations

import json

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    """Base of every expected failure: ``detail`` for humans, ``code`` for programs."""

    default_code = "error"

    def __init__(self, detail: str = "", extra: dict | str | None = None, code: str | None = None):
        # ``extra`` travels as JSON text: nameko turns every non-string value it carries into a
        # string, and a client must get ``retry_after: 60``, not ``"60"``
        extra = dict(json.loads(extra) if isinstance(extra, str) else (extra or {}))
        if code:
            extra["code"] = code
        super().__init__(detail, json.dumps(extra, default=str))
        self.detail = detail
        self.extra = extra
        self.code = extra.get("code") or self.default_code

    def __str__(self) -> str:
        return self.detail


@deserialize_to_instance
class InvalidInput(ServiceError):
    """Malformed input; ``extra['errors']`` maps each field to its messages (400)."""

    default_code = "invalid-input"


@deserialize_to_instance
class Unauthenticated(ServiceError):
    default_code = "unauthenticated"


@deserialize_to_instance
class PermissionDenied(ServiceError):
    default_code = "forbidden"


@deserialize_to_instance
class NotFound(ServiceError):
    default_code = "not-found"


@deserialize_to_instance
class Conflict(ServiceError):
    default_code = "conflict"


@deserialize_to_instance
class Unprocessable(ServiceError):
    """Well-formed but breaks a rule (422), e.g. a password that is too weak."""

    default_code = "unprocessable"


@deserialize_to_instance
class TooLarge(ServiceError):
    """The input is larger than a limit of the service (413), e.g. a content body."""

    default_code = "too-large"


@deserialize_to_instance
class PreconditionRequired(ServiceError):
    """A change that must say which version it started from did not (428, ``If-Match``)."""

    default_code = "precondition-required"


@deserialize_to_instance
class RateLimited(ServiceError):
    default_code = "rate-limited"


@deserialize_to_instance
class Unavailable(ServiceError):
    default_code = "unavailable"


EXPECTED = (ServiceError,)
