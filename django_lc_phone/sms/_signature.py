"""Standard Webhooks' symmetric signature (www.standardwebhooks.com, "Signature scheme").

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is ``v1,`` and
the base64 of its HMAC-SHA256 under the secret's key; the secret is ``whsec_`` and the base64 of
at least 24 random bytes. Several signatures (one per secret, while a secret is rotated) go
space-separated in one ``webhook-signature`` header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from typing import Final

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 (the spec's marker, not a secret)
MIN_SECRET_BYTES: Final = 24
ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"


def decode_secret(secret: object) -> bytes:
    """The key of a ``whsec_<base64>`` secret; ValueError says what is wrong, never the value."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError("secret must be a str starting with 'whsec_'")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # Padding is optional, as the reference libraries accept it.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("secret must be 'whsec_' followed by base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"secret must hold at least {MIN_SECRET_BYTES} random bytes")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,`` + base64(HMAC-SHA256(key, ``{msg_id}.{timestamp}.{body}``))."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def new_id() -> str:
    """A fresh ``webhook-id``: random, and with no ``.`` (the signed content splits on it)."""
    return "msg_" + secrets.token_hex(16)


def headers(keys: Sequence[bytes], msg_id: str, body: bytes) -> dict[str, str]:
    """The three headers of one attempt, stamped now (the spec's "timestamp of the attempt":
    a repeat keeps its id and gets a new timestamp and signatures)."""
    timestamp = int(time.time())
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(sign(key, msg_id, timestamp, body) for key in keys),
    }
