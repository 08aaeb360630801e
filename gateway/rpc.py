"""Calling the platform's services by RPC, with a deadline, and what their failures mean over HTTP.

``ServiceRpc`` is the gateway's one RPC dependency (nameko's ``RpcProxy`` machinery, for any
service): ``self.services.call("spaces", "get_space", space_id)`` returns the result or raises;
``self.services.call_each(names, "ping")`` sends every call before waiting for any, so the
services work concurrently, and returns each one's result or (translated) exception.

Every call waits at most ``Settings.rpc_timeout`` seconds. The worker's context data, including
``correlation_id`` (set by ``kernel.web`` from ``X-Request-ID``), travels with each call: nameko
puts it in the message headers, so the called service logs under the same id.

``rpc_failure`` is the one translation of a failed call into what the HTTP layer answers, through
the kernel's ``PROBLEMS`` table:

- a kernel ``ServiceError`` (``NotFound``, ``Conflict``, ...) crossed RPC intact: itself;
- no answer in time (``RpcTimeout``), no running service (``UnknownService``) or no broker to
  send through: ``Unavailable`` (503) naming the service;
- anything else (nameko's ``RemoteError`` for an unexpected error in the service, ``MethodNotFound``
  for a version skew, ...): ``UpstreamFailure``, which the kernel answers as a plain 500 — the
  remote exception is logged, never sent to the client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

import eventlet
from kombu.exceptions import OperationalError
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener, RpcReply

from kernel import errors
from kernel.config import settings_of

log = logging.getLogger(__name__)


class UpstreamFailure(RuntimeError):
    """A service failed in a way it did not declare; the client gets a 500 without the details."""

    def __init__(self, service: str, method: str, cause: BaseException):
        super().__init__(f"{service}.{method} failed: {type(cause).__name__}: {cause}")
        self.service = service
        self.method = method
        self.cause = cause
        self.__cause__ = cause  # logged with the kernel's traceback of this failure


def rpc_failure(service: str, method: str, exc: BaseException, timeout: float) -> BaseException:
    """The exception the gateway raises for ``exc``, raised by calling ``service.method``."""
    if isinstance(exc, errors.ServiceError):
        return exc
    if isinstance(exc, RpcTimeout):
        return errors.Unavailable(
            f"The {service} service did not answer within {timeout:g}s.",
            extra={"service": service},
            code="service-timeout",
        )
    if isinstance(exc, UnknownService):
        return errors.Unavailable(
            f"The {service} service is not running.",
            extra={"service": service},
            code="service-not-running",
        )
    if isinstance(exc, (ConnectionError, OperationalError)):
        log.warning("calling %s.%s: the broker is unreachable: %s", service, method, exc)
        return errors.Unavailable(
            "The platform's message broker is unreachable.",
            extra={"service": service},
            code="broker-unavailable",
        )
    return UpstreamFailure(service, method, exc)


def failure_reason(service: str, exc: BaseException) -> str:
    """One sentence for a client about ``service``'s failed call: a service error's detail, else nothing internal."""
    if isinstance(exc, errors.ServiceError):
        return exc.detail or f"The {service} service answered {exc.code}."
    return f"The {service} service failed with an unexpected error (logged by the gateway)."


class ServiceClient:
    """One worker's handle on the services: calls carry the worker's context data."""

    def __init__(self, worker_ctx, reply_listener: ReplyListener, timeout: float):
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """``service.method(*args, **kwargs)``'s result; its failure translated by ``rpc_failure``."""
        deadline = time.monotonic() + self.timeout
        outcome = self._wait(service, method, self._send(service, method, args, kwargs), deadline)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def call_each(self, services: Iterable[str], method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``method`` called on every service at once: ``{service: result or translated exception}``."""
        deadline = time.monotonic() + self.timeout
        pending = {service: self._send(service, method, args, kwargs) for service in services}
        outcomes = {service: self._wait(service, method, sent, deadline) for service, sent in pending.items()}
        for outcome in outcomes.values():
            if isinstance(outcome, UpstreamFailure):  # returned, not raised: the kernel will not log it
                log.error("%s", outcome, exc_info=outcome.cause)
        return outcomes

    def _send(self, service: str, method: str, args: tuple, kwargs: dict) -> RpcReply | BaseException:
        # a call is worth nothing once its caller gave up, so it is not written to disk: with
        # confirms (which tell an unknown service) but without persistence, RabbitMQ answers at once
        proxy = MethodProxy(self.worker_ctx, service, method, self.reply_listener, delivery_mode=NON_PERSISTENT)
        try:
            return proxy.call_async(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - UnknownService, the broker unreachable, ...: translated
            return rpc_failure(service, method, exc, self.timeout)

    def _wait(self, service: str, method: str, sent: RpcReply | BaseException, deadline: float) -> Any:
        if isinstance(sent, BaseException):
            return sent
        try:
            # an answer that has already arrived is returned even when no time is left
            with eventlet.Timeout(max(deadline - time.monotonic(), 0), RpcTimeout(self.timeout)):
                return sent.result()
        except RpcTimeout as exc:
            self._forget(sent)
            return rpc_failure(service, method, exc, self.timeout)
        except Exception as exc:  # noqa: BLE001 - any failure of the call is translated, none is lost
            return rpc_failure(service, method, exc, self.timeout)

    def _forget(self, reply: RpcReply) -> None:
        """Drop the reply slot of a call given up on, so late or missing replies do not pile up.

        nameko 2.14's ``ReplyListener`` keeps a slot per call id until a reply arrives; it offers no
        way to cancel one, so the slot is found by identity.
        """
        slots = self.reply_listener._reply_events  # private to nameko: see the docstring
        for correlation_id, event in list(slots.items()):
            if event is reply.reply_event:
                slots.pop(correlation_id, None)


class ServiceRpc(DependencyProvider):
    """Gives each worker a ``ServiceClient``; the reply queue is shared by the container's workers."""

    reply_listener = ReplyListener()

    def setup(self):
        self.timeout = settings_of(self.container).rpc_timeout

    def get_dependency(self, worker_ctx):
        return ServiceClient(worker_ctx, self.reply_listener, self.timeout)
