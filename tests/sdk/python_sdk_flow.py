"""Drive LeanCloud's official Python SDK (``leancloud`` 3.0.2) through every phone flow.

Runs inside the SDK's own virtual environment (it pins an old ``requests``), against an
emulator at ``LEANCLOUD_API_SERVER``; reads codes from the emulator's outbox over HTTP. Prints
one JSON line per step and exits non-zero at the first step that does not behave.
Usage: python python_sdk_flow.py APP_ID APP_KEY
"""

import sys

import leancloud
from leancloud import User, cloud
from sdk_steps import advance, expect_error, new_code, step

PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"


def outbox_code(phone):
    return new_code(phone)


def main(app_id, app_key):
    leancloud.init(app_id, app_key)

    cloud.request_sms_code(PHONE)
    step("request_sms_code")
    error = expect_error(1, cloud.request_sms_code, PHONE)
    step("second_request_within_10s", code=error.code, error=error.error)
    expect_error(603, User.signup_or_login_with_mobile_phone, PHONE, "000000")
    step("wrong_code", code=603)

    user = User.signup_or_login_with_mobile_phone(PHONE, outbox_code(PHONE))
    assert user.is_authenticated()
    assert user.get("mobilePhoneVerified") is True
    step("signup_with_code", object_id=user.id)
    user.set_password("first-password")  # phone sign-ups start without a password
    user.save()
    user.logout()

    user = User.login_with_mobile_phone(PHONE, "first-password")
    assert user.is_authenticated()
    step("login_with_password", object_id=user.id)
    user.logout()

    advance(61)
    User.request_password_reset_by_sms_code(PHONE)
    User.reset_password_by_sms_code(outbox_code(PHONE), "second-password", PHONE)
    expect_error(210, User.login_with_mobile_phone, PHONE, "first-password")
    user = User.login_with_mobile_phone(PHONE, "second-password")
    step("reset_password", object_id=user.id)
    user.logout()

    advance(61)
    User.request_login_sms_code(PHONE)
    login = User()
    login.set("mobilePhoneNumber", PHONE)
    login.set("smsCode", outbox_code(PHONE))
    login.login()
    assert login.is_authenticated()
    step("login_with_sms_code", object_id=login.id)

    User.request_change_phone_number(NEW_PHONE)
    User.change_phone_number(outbox_code(NEW_PHONE), NEW_PHONE)
    login.fetch()
    assert login.get("mobilePhoneNumber") == NEW_PHONE, login.get("mobilePhoneNumber")
    step("change_phone", phone=login.get("mobilePhoneNumber"))

    # A user who signed up by username gets a phone later and verifies it.
    login.logout()
    other = User()
    other.set("username", "sdk-user")
    other.set("password", "sdk-password")
    other.set("mobilePhoneNumber", PHONE)
    other.sign_up()
    assert other.get("mobilePhoneVerified") is not True
    advance(61)
    User.request_mobile_phone_verify(PHONE)
    User.verify_mobile_phone_number(outbox_code(PHONE), PHONE)
    other.fetch()
    assert other.get("mobilePhoneVerified") is True
    step("verify_phone", object_id=other.id)
    other.logout()
    step("done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
