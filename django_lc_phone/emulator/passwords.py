"""Password hashing as LeanCloud does it, so exported hashes look like the real service's.

The algorithm lives in ``django_lc_phone.leancloud.password`` (standard library only), shared
with the Django password hasher that verifies exported hashes; this module keeps the emulator's
names.
"""

from __future__ import annotations

import secrets

from ..leancloud.password import ROUNDS, check_password, hash_password

__all__ = ["ROUNDS", "check_password", "hash_password", "make_salt"]


def make_salt() -> str:
    """A random hex salt (any salt works with the algorithm; ``lc_password.make_salt`` makes
    the 48-character ``[a-z0-9]`` ones LeanCloud's guide shows)."""
    return secrets.token_hex(16)
