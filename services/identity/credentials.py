"""Secrets the service handles: password hashes (argon2id) and refresh tokens.

argon2 is deliberately slow (tens of milliseconds and 64 MiB per hash with argon2-cffi's RFC 9106
defaults). Under eventlet a C call blocks every green thread of the process, so hashing runs in
eventlet's pool of real threads (``tpool``): argon2-cffi releases the GIL while it works, so the
service keeps answering other calls meanwhile. At most ``MAX_CONCURRENT_HASHES`` run at once, so a
burst of sign-ins cannot take more than that many times 64 MiB (the chart gives identity 512 MiB).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore

#: bytes of entropy in a refresh token (256 bits)
REFRESH_TOKEN_BYTES = 32
#: argon2 computations running at once in one process (each takes the hasher's memory_cost)
MAX_CONCURRENT_HASHES = 4


def new_refresh_token() -> str:
    """An opaque, unguessable refresh token (URL-safe text)."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def _in_a_thread(function: Callable[..., Any], *args: Any) -> Any:
    return tpool.execute(function, *args)


class PasswordHashing:
    """argon2id hashing and verification, run off the event loop.

    ``verify_unknown`` spends the same effort as a real verification, so that a login with an
    unknown email takes as long as one with a wrong password (no account enumeration by timing).
    """

    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        run: Callable[..., Any] = _in_a_thread,
        max_concurrent: int = MAX_CONCURRENT_HASHES,
    ):
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self.run = run
        self._slots = Semaphore(max_concurrent)
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        with self._slots:
            return self.run(self.hasher.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; a malformed stored hash never matches."""
        with self._slots:
            return self.run(self._verify, password_hash, password)

    def verify_unknown(self, password: str) -> bool:
        """Verify against a dummy hash (for an unknown account); always False."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy_hash, password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's (then rehash at login)."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
