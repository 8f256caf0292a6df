"""LeanCloud's password hash: known answers, the Django hasher, and the upgrade at login."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import (
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)
from django.test import override_settings

from django_lc_phone.emulator import users as emulator_users
from django_lc_phone.hashers import (
    MAX_ENCODED_LENGTH,
    LeanCloudSHA512PasswordHasher,
    encode_exported,
)
from django_lc_phone.leancloud import password as lc_password
from tests.importer._records import DOC_ENCODED, DOC_HASH, DOC_PASSWORD, DOC_SALT, HASHERS

# Computed once with Node.js's crypto, an implementation independent of ours:
#   node -e "const c=require('crypto');
#     const salt='0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x';
#     const pw='Pässwörd-密码-🔑';let d=c.createHash('sha512').update(salt+pw,'utf8').digest();
#     for(let i=0;i<512;i++)d=c.createHash('sha512').update(d).digest();
#     console.log(d.toString('base64'))"
NODE_SALT = "0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x"
NODE_PASSWORD = "Pässwörd-密码-🔑"
NODE_HASH = (
    "6Kx4hafBIpnWJTjvb+UH7Mr+fzkmTjhnW9pKsJ/EBIQiv23sz8I9wJvMfxmBwJuuoJVNypb1Q3yZUSHOd8t5eA=="
)
# The same node command with salt '5f2b8c0e9a1d4f7b3c6e8a0d2f4b6c8e' (the emulator's hex salt
# shape) and password 'first-Password-1'.
HEX_SALT = "5f2b8c0e9a1d4f7b3c6e8a0d2f4b6c8e"
HEX_PASSWORD = "first-Password-1"
HEX_HASH = (
    "l51JeNfcuRQyNvgrEP+URK/J5/FZDz4LocjzhmPclhTUR7CobGZJQg5lVDaHtCBTnXXlrKGZ3AkFnmQ9MU8qPQ=="
)

KNOWN = [
    (DOC_PASSWORD, DOC_SALT, DOC_HASH),  # LeanCloud's dashboard guide
    (NODE_PASSWORD, NODE_SALT, NODE_HASH),
    (HEX_PASSWORD, HEX_SALT, HEX_HASH),
]


@pytest.mark.parametrize(("password", "salt", "expected"), KNOWN)
def test_known_answers(password: str, salt: str, expected: str) -> None:
    assert lc_password.hash_password(password, salt) == expected
    assert lc_password.check_password(password, salt, expected)
    assert not lc_password.check_password(password + "x", salt, expected)


def test_the_emulator_s_stored_passwords_verify_with_the_hasher() -> None:
    user: dict[str, object] = {}
    emulator_users.set_password(user, HEX_PASSWORD)
    salt, stored = str(user["_salt"]), str(user["_password"])
    assert emulator_users.password_matches(user, HEX_PASSWORD)
    assert lc_password.ROUNDS == 512
    hasher = LeanCloudSHA512PasswordHasher()
    assert hasher.verify(HEX_PASSWORD, encode_exported(salt, stored))
    assert not hasher.verify("wrong", encode_exported(salt, stored))


def test_new_salts_look_like_leancloud_ones() -> None:
    salt = LeanCloudSHA512PasswordHasher().salt()
    assert len(salt) == len(DOC_SALT) == 48
    assert set(salt) <= set(lc_password.SALT_ALPHABET)
    assert salt != LeanCloudSHA512PasswordHasher().salt()


def test_encoded_form_fits_djangos_password_column() -> None:
    hasher = LeanCloudSHA512PasswordHasher()
    encoded = hasher.encode(DOC_PASSWORD, DOC_SALT)
    assert encoded == DOC_ENCODED == encode_exported(DOC_SALT, DOC_HASH)
    assert len(encoded) <= MAX_ENCODED_LENGTH
    assert get_user_model()._meta.get_field("password").max_length == MAX_ENCODED_LENGTH
    assert hasher.decode(encoded) == {
        "algorithm": "leancloud_sha512",
        "salt": DOC_SALT,
        "hash": DOC_HASH[:43],
    }


@override_settings(PASSWORD_HASHERS=HASHERS)
@pytest.mark.parametrize(("password", "salt", "expected"), KNOWN)
def test_django_checks_exported_hashes(password: str, salt: str, expected: str) -> None:
    encoded = encode_exported(salt, expected)
    assert identify_hasher(encoded).algorithm == "leancloud_sha512"
    assert isinstance(identify_hasher(encoded), LeanCloudSHA512PasswordHasher)
    assert check_password(password, encoded)
    assert not check_password(password.upper(), encoded)
    assert not check_password("", encoded)


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_the_whole_88_character_hash_verifies_too_but_never_fewer_than_43() -> None:
    hasher = get_hasher("leancloud_sha512")
    assert hasher.verify(DOC_PASSWORD, f"leancloud_sha512${DOC_SALT}${DOC_HASH}")
    assert not hasher.verify(DOC_PASSWORD, f"leancloud_sha512${DOC_SALT}${DOC_HASH[:42]}")
    assert not hasher.verify(DOC_PASSWORD, f"leancloud_sha512${DOC_SALT}$")
    assert not hasher.verify(DOC_PASSWORD, f"leancloud_sha512${DOC_SALT}${DOC_HASH}AAAA")


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_make_password_summary_and_upgrade_flag() -> None:
    encoded = make_password(DOC_PASSWORD, DOC_SALT, hasher="leancloud_sha512")
    assert encoded == DOC_ENCODED
    hasher = get_hasher("leancloud_sha512")
    assert hasher.must_update(encoded)
    hasher.harden_runtime(DOC_PASSWORD, encoded)  # a no-op, and no warning about it
    summary = {str(k): v for k, v in hasher.safe_summary(encoded).items()}
    assert summary["algorithm"] == "leancloud_sha512"
    assert summary["salt"].startswith("h6")
    assert DOC_SALT not in summary["salt"]
    assert DOC_HASH[:43] not in summary["hash"]


def test_unusable_inputs_are_refused() -> None:
    hasher = LeanCloudSHA512PasswordHasher()
    with pytest.raises(ValueError, match="salt"):
        encode_exported("has$dollar", DOC_HASH)
    with pytest.raises(ValueError, match="salt"):
        encode_exported("s" * 80, DOC_HASH)  # would not fit the password column
    with pytest.raises(ValueError, match="hash"):
        encode_exported(DOC_SALT, "short")
    with pytest.raises(TypeError):
        hasher.encode(None, DOC_SALT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a leancloud_sha512"):
        hasher.decode("md5$salt$hash")


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=HASHERS)
def test_a_leancloud_hash_logs_in_and_is_rehashed_with_the_default_hasher() -> None:
    user_model = get_user_model()
    user = user_model._default_manager.create(**{user_model.USERNAME_FIELD: "migrated"})
    user.password = DOC_ENCODED
    user.save()

    assert authenticate(username="migrated", password="wrong") is None
    user.refresh_from_db()
    assert user.password == DOC_ENCODED  # a failed login changes nothing

    assert authenticate(username="migrated", password=DOC_PASSWORD) == user
    user.refresh_from_db()
    assert user.password.startswith("md5$")
    assert user.check_password(DOC_PASSWORD)
    assert authenticate(username="migrated", password=DOC_PASSWORD) == user


@pytest.mark.django_db
def test_without_the_hasher_in_settings_the_hash_is_not_accepted() -> None:
    user_model = get_user_model()
    user = user_model._default_manager.create(**{user_model.USERNAME_FIELD: "migrated"})
    user.password = DOC_ENCODED
    user.save()
    assert authenticate(username="migrated", password=DOC_PASSWORD) is None
