"""The rehearsal's Python side, run in the official SDK's virtual environment (``leancloud``).

``python rehearsal_python.py APP_ID APP_KEY ACTION`` with ``LEANCLOUD_API_SERVER`` set:
``create`` makes users straight on LeanCloud (the emulator) and prints them as one JSON line;
``change`` changes one user's password straight on LeanCloud (argv: phone, old, new);
``after`` (argv: a JSON file of the users) signs each in against the site after the cutover,
and checks that each SDK session it made before still answers ``users/me``.
"""

import json
import sys

import leancloud
from leancloud import LeanCloudError, User, cloud
from sdk_steps import new_code, step


def by_code(phone):
    """A user who only ever signed in with an SMS code: no password."""
    cloud.request_sms_code(phone)
    user = User.signup_or_login_with_mobile_phone(phone, new_code(phone))
    return {
        "kind": "code",
        "phone": phone,
        "object_id": user.id,
        "session": user.get_session_token(),
    }


def by_code_then_password(phone, password):
    """A verified number, and a password set afterwards."""
    cloud.request_sms_code(phone)
    user = User.signup_or_login_with_mobile_phone(phone, new_code(phone))
    user.set_password(password)
    user.save()
    user = User.login_with_mobile_phone(phone, password)
    return {
        "kind": "phone_password",
        "phone": phone,
        "password": password,
        "object_id": user.id,
        "session": user.get_session_token(),
    }


def by_username(username, password, phone=None):
    """A username sign-up, with an unverified number or none."""
    user = User()
    user.set_username(username)
    user.set_password(password)
    if phone:
        user.set_mobile_phone_number(phone)
    user.sign_up()
    return {
        "kind": "username",
        "username": username,
        "password": password,
        "phone": phone,
        "object_id": user.id,
        "session": user.get_session_token(),
    }


def create():
    users = {
        "sms_only": by_code("+8613700000001"),
        "phone_password": by_code_then_password("+8613700000002", "phone-Password-2"),
        "resets_on_site": by_code_then_password("+8613700000003", "before-Reset-3"),
        "changes_on_site": by_code_then_password("+8613700000009", "before-Change-9"),
        "changes_upstream": by_code_then_password("+8613700000004", "before-Change-4"),
        "unverified": by_username("unverified_user", "unverified-Pass-5", "+8613700000005"),
        "username_only": by_username("username_only", "username-Pass-6"),
    }
    step("create", users=users)


def change(phone, old, new):
    user = User.login_with_mobile_phone(phone, old)
    user.update_password(old, new)
    step("change", object_id=user.id)


def after(path):
    with open(path) as handle:
        users = json.load(handle)
    for name, user in users.items():
        if user.get("session"):
            me = User.become(user["session"])
            assert me.id == user["object_id"], (name, me.id)
            step("session_kept", user=name)
        if not user.get("latest_password") or user.get("needs_reset"):
            continue
        if user.get("username"):
            signed = User()
            signed.login(user["username"], user["latest_password"])
        else:
            signed = User.login_with_mobile_phone(user["phone"], user["latest_password"])
        assert signed.id == user["object_id"], (name, signed.id)
        step("signed_in", user=name)
    for name, user in users.items():
        if user.get("needs_reset"):
            try:
                User.login_with_mobile_phone(user["phone"], user["latest_password"])
            except LeanCloudError as error:
                step("refused", user=name, code=error.code)
            else:
                raise AssertionError(f"{name} signed in without a reset")


def main(app_id, app_key, action, *args):
    leancloud.init(app_id, app_key)
    {"create": create, "change": change, "after": after}[action](*args)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except LeanCloudError as error:
        step("error", code=error.code, error=error.error)
        raise
