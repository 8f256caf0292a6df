"""LeanCloud's ``_User`` password hash, standard library only (the emulator shares it).

LeanCloud's dashboard guide ("导出用户数据的加密算法") documents it: SHA-512 over the UTF-8 bytes
of ``salt + password``, then 512 more SHA-512 rounds, each over the previous digest, and the last
digest base64 encoded. Exports carry the result as ``password`` and the salt as ``salt``.
The guide's own example: salt ``h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2`` and
password ``password`` give
``tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug==``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from typing import Final

ROUNDS: Final = 512
# The guide's example salt is 48 characters of [a-z0-9]; new salts take the same shape, so a
# hash made here cannot be told from an exported one (and never contains Django's "$").
SALT_ALPHABET: Final = string.ascii_lowercase + string.digits
SALT_LENGTH: Final = 48


def make_salt() -> str:
    """A random salt shaped like LeanCloud's (48 characters of ``[a-z0-9]``, ~248 bits)."""
    return "".join(secrets.choice(SALT_ALPHABET) for _ in range(SALT_LENGTH))


def hash_password(password: str, salt: str) -> str:
    """The base64 digest LeanCloud stores for ``password`` with ``salt``."""
    digest = hashlib.sha512((salt + password).encode("utf-8")).digest()
    for _ in range(ROUNDS):
        digest = hashlib.sha512(digest).digest()
    return base64.b64encode(digest).decode("ascii")


def check_password(password: str, salt: str, expected: str) -> bool:
    """Whether ``password`` hashes to ``expected``, compared in constant time."""
    # Bytes, not str: compare_digest refuses non-ASCII str, and a corrupt export may hold any.
    return hmac.compare_digest(
        hash_password(password, salt).encode("utf-8"), expected.encode("utf-8")
    )
