"""LeanCloud's exported ``_User`` password hash as a Django password hasher.

Add it after the project's own default, so users imported from LeanCloud (``lc_import_users``)
sign in with their old passwords and Django re-hashes each one with the default hasher at its
first successful login::

    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # the default: first
        # ... the rest of Django's defaults ...
        "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher",
    ]

Encoded form: ``leancloud_sha512$<salt>$<hash>``, where ``<hash>`` is the first 43 characters
(258 bits of the 512-bit digest) of the base64 hash LeanCloud exports as ``password``. Why not
all 88: Django's ``password`` column holds 128 characters, and the algorithm name, LeanCloud's
48-character salt and the full hash make 155, which PostgreSQL refuses. 258 bits of SHA-512 are
as hard to forge as 512 for any attacker (what makes this hash weak is its speed, which is why
it is replaced at the first login). A longer prefix, up to the whole 88, is verified too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _

from .leancloud import password as lc_password

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

ALGORITHM: Final = "leancloud_sha512"
# 43 base64 characters carry 258 bits: never fewer, or a stored hash would be weaker.
HASH_CHARS: Final = 43
FULL_HASH_CHARS: Final = 88  # base64 of 64 bytes, with its "==" padding
# Django's AbstractBaseUser.password is a CharField(max_length=128).
MAX_ENCODED_LENGTH: Final = 128
MAX_SALT_LENGTH: Final = MAX_ENCODED_LENGTH - len(ALGORITHM) - 2 - HASH_CHARS


def encode_exported(salt: str, exported_hash: str) -> str:
    """The ``password`` column value for a hash and salt as LeanCloud exports them.

    ``ValueError`` when they cannot be one: a salt with ``$`` or longer than
    :data:`MAX_SALT_LENGTH`, or a hash shorter than :data:`HASH_CHARS` characters.
    """
    if not salt or "$" in salt or len(salt) > MAX_SALT_LENGTH:
        raise ValueError("unusable salt")
    if len(exported_hash) < HASH_CHARS or "$" in exported_hash:
        raise ValueError("unusable hash")
    return f"{ALGORITHM}${salt}${exported_hash[:HASH_CHARS]}"


def leancloud_owned(encoded: str) -> bool:
    """Whether a ``password`` column is still as LeanCloud left it: empty, unusable, or an
    imported LeanCloud hash. Once a user has a password of this site's (re-hashed at login,
    set here, or a capture put in place), imports and the cutover keep it."""
    return not encoded or encoded.startswith((UNUSABLE_PASSWORD_PREFIX, ALGORITHM + "$"))


class LeanCloudSHA512PasswordHasher(BasePasswordHasher):
    """Verifies passwords hashed by LeanCloud; never meant to be the default hasher."""

    algorithm = ALGORITHM

    def salt(self) -> str:
        """A salt shaped like LeanCloud's own (48 characters of ``[a-z0-9]``)."""
        return lc_password.make_salt()

    def encode(self, password: str, salt: str) -> str:
        """``leancloud_sha512$<salt>$<first 43 characters of LeanCloud's hash>``."""
        if password is None:  # Django's own hashers refuse it the same way
            raise TypeError("password must be provided.")
        return encode_exported(salt, lc_password.hash_password(password, salt))

    def decode(self, encoded: str) -> dict[str, Any]:
        """``algorithm``, ``salt`` and ``hash`` of an encoded value."""
        algorithm, salt, hash_ = encoded.split("$", 2)
        if algorithm != self.algorithm:
            raise ValueError(f"not a {self.algorithm} hash")
        return {"algorithm": algorithm, "salt": salt, "hash": hash_}

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches, compared in constant time."""
        decoded = self.decode(encoded)
        stored: str = decoded["hash"]
        if not HASH_CHARS <= len(stored) <= FULL_HASH_CHARS:
            return False  # truncated or corrupt: never compare fewer bits than HASH_CHARS
        computed = lc_password.hash_password(password, decoded["salt"])
        # The prefix length comes from the stored value, which is no secret.
        return constant_time_compare(computed[: len(stored)], stored)

    def safe_summary(self, encoded: str) -> dict[_StrOrPromise, Any]:
        """What the admin may show: the algorithm, and the salt and hash masked."""
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        """Always: 513 rounds of SHA-512 are far too fast to keep. Django re-hashes the
        password with the default hasher at the next successful login."""
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        """Nothing to bridge: there is no work factor to catch up with."""
