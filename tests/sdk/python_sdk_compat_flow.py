"""Drive LeanCloud's official Python SDK (``leancloud`` 3.0.2) against the compat endpoints.

Runs inside the SDK's own virtual environment, against a live example site in local mode at
``LEANCLOUD_API_SERVER`` (its ``/1.1/`` is ``django_lc_phone.compat``); reads codes from the
site's outbox at ``/emulator/v1/messages`` and skips the resend cooldown with
``/emulator/v1/clock``. Prints one JSON line per step and exits non-zero at the first step
that does not behave. Usage: python python_sdk_compat_flow.py APP_ID APP_KEY IMPORTED_PHONE
IMPORTED_PASSWORD, where the last two are a user on the site whose number is not verified
(imported from a LeanCloud export: the site verifies every number it signs up itself).
"""

import sys

import leancloud
from leancloud import User, cloud
from sdk_steps import advance, expect_error, new_code, step

PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"
PASSWORD = "first-Password-1"


def outbox_code(phone, purpose):
    return new_code(phone, purpose)


def main(app_id, app_key, imported_phone, imported_password):
    leancloud.init(app_id, app_key)

    cloud.request_sms_code(PHONE)
    step("request_sms_code")
    error = expect_error(601, cloud.request_sms_code, PHONE)
    step("second_request_within_cooldown", code=error.code, error=error.error)
    expect_error(603, User.signup_or_login_with_mobile_phone, PHONE, "000000")
    step("wrong_code", code=603)

    user = User.signup_or_login_with_mobile_phone(PHONE, outbox_code(PHONE, "generic"))
    assert user.is_authenticated()
    assert user.get("mobilePhoneVerified") is True
    assert user.get("mobilePhoneNumber") == PHONE
    step("signup_with_code", object_id=user.id)
    user.logout()

    # A phone sign-up has no password: set one by SMS reset, then log in with it.
    advance(61)
    User.request_password_reset_by_sms_code(PHONE)
    User.reset_password_by_sms_code(outbox_code(PHONE, "reset_password"), PASSWORD, PHONE)
    expect_error(210, User.login_with_mobile_phone, PHONE, "wrong-Password-9")
    user = User.login_with_mobile_phone(PHONE, PASSWORD)
    assert user.is_authenticated()
    step("login_with_password", object_id=user.id)
    user.logout()

    advance(61)
    User.request_login_sms_code(PHONE)
    login = User()
    login.set("mobilePhoneNumber", PHONE)
    login.set("smsCode", outbox_code(PHONE, "login"))
    login.login()
    assert login.is_authenticated()
    step("login_with_sms_code", object_id=login.id)

    old_token = login.get_session_token()
    assert User.become(old_token).id == login.id
    login.refresh_session_token()
    assert login.get_session_token() != old_token
    expect_error(211, User.become, old_token)
    assert User.become(login.get_session_token()).id == login.id
    step("refresh_session_token", object_id=login.id)

    # The signed-in user moves to a new number, proven by the code sent to it.
    User.request_change_phone_number(NEW_PHONE)
    User.change_phone_number(outbox_code(NEW_PHONE, "change_phone"), NEW_PHONE)
    login.fetch()
    assert login.get("mobilePhoneNumber") == NEW_PHONE, login.get("mobilePhoneNumber")
    assert login.get("mobilePhoneVerified") is True
    login.logout()
    expect_error(210, User.login_with_mobile_phone, PHONE, PASSWORD)  # the old number is gone
    moved = User.login_with_mobile_phone(NEW_PHONE, PASSWORD)
    assert moved.id == login.id
    step("change_phone", object_id=moved.id, phone=moved.get("mobilePhoneNumber"))
    moved.logout()

    # A user from LeanCloud's export, with an unverified number, verifies it.
    imported = User.login_with_mobile_phone(imported_phone, imported_password)
    assert imported.get("mobilePhoneVerified") is False
    User.request_mobile_phone_verify(imported_phone)
    User.verify_mobile_phone_number(outbox_code(imported_phone, "verify_phone"), imported_phone)
    imported.fetch()
    assert imported.get("mobilePhoneVerified") is True
    step("verify_phone", object_id=imported.id)
    imported.logout()
    step("done")


if __name__ == "__main__":
    main(*sys.argv[1:5])
