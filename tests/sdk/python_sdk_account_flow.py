"""Drive LeanCloud's official Python SDK (``leancloud`` 3.0.2) through a username sign-up and
username and email logins against the compat endpoints (``COMPAT_USERNAME_SIGNUP`` on).

Runs inside the SDK's own virtual environment, against the site at ``LEANCLOUD_API_SERVER``.
Prints one JSON line per step and exits non-zero at the first step that does not behave.
Usage: python python_sdk_account_flow.py APP_ID APP_KEY
"""

import sys

import leancloud
from leancloud import User
from sdk_steps import expect_error, step

USERNAME = "sdk-user"
EMAIL = "sdk-user@example.com"
PASSWORD = "first-Password-1"


def main(app_id, app_key):
    leancloud.init(app_id, app_key)

    user = User()
    user.set("email", EMAIL)
    user.sign_up(USERNAME, PASSWORD)  # POST /1.1/classes/_User?fetchWhenSave=false
    assert user.is_authenticated()
    assert user.id
    assert user.get_session_token()
    step("sign_up", object_id=user.id)
    user.logout()

    taken = User()
    error = expect_error(202, taken.sign_up, USERNAME, "other-Password-2")
    step("sign_up_taken", code=error.code)

    by_name = User()
    by_name.login(USERNAME, PASSWORD)
    assert by_name.is_authenticated()
    step("login_by_username", object_id=by_name.id)
    by_name.logout()

    by_email = User()
    by_email.login(email=EMAIL.upper(), password=PASSWORD)
    assert by_email.get("username") == USERNAME
    step("login_by_email", object_id=by_email.id)
    by_email.logout()

    wrong = expect_error(210, User().login, USERNAME, "wrong-Password-9")
    unknown = expect_error(210, User().login, "nobody-here", PASSWORD)
    assert wrong.error == unknown.error
    step("refused_alike", code=wrong.code)
    step("done")


if __name__ == "__main__":
    main(*sys.argv[1:])
