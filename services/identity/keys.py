"""Ed25519 signing keys for access tokens: made, serialised for storage, loaded back.

Private keys are stored in the identity schema as PEM (PKCS#8), unencrypted: anyone who can read
``identity.signing_keys`` can mint tokens. Encrypting them at rest with a key-encryption key taken
from the environment (a Kubernetes secret, ``BestAvailableEncryption``) is the next hardening step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from kernel.auth import public_jwk, sign


@dataclass(frozen=True)
class SigningKey:
    """One key: its ``kid`` (the JWT header names it), its private half, and when it stopped signing."""

    kid: str
    private_key: Ed25519PrivateKey
    created_at: datetime
    superseded_at: datetime | None = None

    def sign(self, claims: dict) -> str:
        return sign(claims, self.kid, self.private_key)

    def jwk(self) -> dict:
        """The public JWK verifiers fetch (never the private half)."""
        return public_jwk(self.kid, self.private_key.public_key())


def new_key_material() -> tuple[str, str]:
    """A fresh ``(kid, private key PEM)``; the kid is random, so it says nothing about the key."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return uuid.uuid4().hex, pem


def load_key(kid: str, pem: str, created_at: datetime, superseded_at: datetime | None) -> SigningKey:
    """A stored key back as a ``SigningKey``; raises ValueError if the PEM is not an Ed25519 key."""
    private_key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError(f"signing key {kid} is not an Ed25519 key")
    return SigningKey(kid, private_key, created_at, superseded_at)
