"""Password hashing as LeanCloud does it, so exported hashes look like the real service's.

SHA-512 over salt + password, then 512 more SHA-512 rounds over the digest, base64 encoded
(LeanCloud's dashboard guide, "导出用户数据的加密算法").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ROUNDS = 512


def make_salt() -> str:
    """A random salt in the shape LeanCloud exports (hex)."""
    return secrets.token_hex(16)


def hash_password(password: str, salt: str) -> str:
    """The base64 digest LeanCloud stores for ``password`` with ``salt``."""
    digest = hashlib.sha512((salt + password).encode()).digest()
    for _ in range(ROUNDS):
        digest = hashlib.sha512(digest).digest()
    return base64.b64encode(digest).decode()


def check_password(password: str, salt: str, expected: str) -> bool:
    """Constant-time comparison of ``password`` against a stored hash."""
    return hmac.compare_digest(hash_password(password, salt).encode(), expected.encode())
