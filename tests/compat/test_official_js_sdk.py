"""LeanCloud's official JavaScript SDK, unchanged, runs the emulator's phone flows
(``tests/sdk/js/flow.mjs``) against a live example site in local mode: no LeanCloud and no
emulator, only ``django_lc_phone.compat``, with the site's outbox and clock as side doors.

Where the site differs by design the flow's site expectations say so (``LC_FLOW_TARGET=site``):
a sign-up without an SMS code is refused (119) and repeated with the number's code, and a
verified number gets no verification code; the number verified is that of a user imported
from a LeanCloud export, since the site signs up nobody unverified. The SDK's own number-less
``resetPasswordBySmsCode`` / ``verifyMobilePhone`` calls are accepted: no fallback request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from tests.compat.imported_user import (
    IMPORTED_OBJECT_ID,
    IMPORTED_PASSWORD,
    IMPORTED_PHONE,
    import_unverified_user,
)
from tests.test_example_site import running_site
from tests.test_official_js_sdk import (
    JS_FLOW_STEPS,
    NEW_PHONE,
    OTHER_PHONE,
    PHONE,
    SDK_VERSION,
    _wire,
    js_sdk,  # noqa: F401  (the fixture)
    run_js_flow,
)


@pytest.mark.sdk
@pytest.mark.timeout(300)
def test_official_js_sdk_against_the_compat_endpoints(
    js_sdk: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    with running_site(tmp_path, LC_PHONE_PROVIDER="local") as site:
        import_unverified_user(site, tmp_path)
        control = f"{site.url}/emulator/v1"
        steps = run_js_flow(
            site.url,
            DEMO_APP_ID,
            DEMO_APP_KEY,
            f"{control}/messages",
            f"{control}/clock",
            target="site",
            extra_env={
                "LC_IMPORTED_PHONE": IMPORTED_PHONE,
                "LC_IMPORTED_PASSWORD": IMPORTED_PASSWORD,
            },
        )
        sent = site.get("/emulator/v1/messages").json()["messages"]
        output = site.output()
    by_name: dict[str, dict[str, Any]] = {step["step"]: step for step in steps}
    assert [step["step"] for step in steps] == JS_FLOW_STEPS
    assert by_name["init"]["sdk_version"] == SDK_VERSION
    wire = {name: _wire(step) for name, step in by_name.items()}
    assert wire["wrong_code"] == [
        ("POST", "/1.1/usersByMobilePhone", ("mobilePhoneNumber", "smsCode"), 400)
    ]
    assert by_name["wrong_code"]["code"] == 603
    assert wire["signup_with_code"] == [
        ("POST", "/1.1/usersByMobilePhone", ("mobilePhoneNumber", "smsCode"), 201)
    ]
    assert wire["set_password"] == [("PUT", "/1.1/classes/_User/<id>", ("password",), 200)]
    assert wire["become_and_fetch"] == [
        ("GET", "/1.1/users/me", (), 200),
        ("GET", "/1.1/users/me", (), 200),
        ("GET", "/1.1/classes/_User/<id>", (), 200),
    ]
    # The SDK's own number-less calls are served: no fallback.
    assert wire["reset_password"] == [
        ("POST", "/1.1/requestPasswordResetBySmsCode", ("mobilePhoneNumber",), 200),
        ("PUT", "/1.1/resetPasswordBySmsCode/<code>", ("password",), 200),
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 400),  # the old password
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 200),
    ]
    assert "sdk_refused" not in by_name["reset_password"]
    assert by_name["reset_password"]["old_password_code"] == 210
    assert wire["change_phone"] == [
        ("POST", "/1.1/requestChangePhoneNumber", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/changePhoneNumber", ("code", "mobilePhoneNumber"), 200),
        ("GET", "/1.1/classes/_User/<id>", (), 200),
    ]
    # A sign-up without a code is refused; with the number's code it is served.
    assert wire["signup_with_username"] == [
        ("POST", "/1.1/users", ("mobilePhoneNumber", "password", "username"), 400),
        ("POST", "/1.1/requestSmsCode", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/users", ("mobilePhoneNumber", "password", "smsCode", "username"), 201),
    ]
    assert by_name["signup_with_username"]["refused_code"] == 119
    assert by_name["signup_with_username"]["verified"] is True
    # The verified number gets no code; the imported user's number is verified, the SDK's
    # number-less verifyMobilePhone accepted as sent.
    assert wire["verify_phone"] == [
        ("POST", "/1.1/requestMobilePhoneVerify", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 200),
        ("POST", "/1.1/requestMobilePhoneVerify", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/verifyMobilePhone/<code>", (), 200),
        ("GET", "/1.1/classes/_User/<id>", (), 200),
    ]
    assert by_name["verify_phone"]["verified"] is True

    first = by_name["signup_with_code"]["object_id"]
    for name in ("login_with_password", "become_and_fetch", "login_with_sms_code"):
        assert by_name[name]["object_id"] == first
    assert by_name["change_phone"]["object_id"] == first
    assert by_name["change_phone"]["phone"] == NEW_PHONE
    second = by_name["signup_with_username"]["object_id"]
    assert second != first
    assert by_name["verify_phone"]["object_id"] == IMPORTED_OBJECT_ID

    # Every code the SDK used was one the site sent; the verified number got no second one.
    # The old number was told of the change (PHONE_CHANGE_NOTICE: a message with no code).
    notices = [m for m in sent if not m["code"]]
    assert [(m["mobilePhoneNumber"], m["purpose"]) for m in notices] == [(PHONE, "change_phone")]
    assert sorted((m["mobilePhoneNumber"], m["purpose"]) for m in sent if m["code"]) == sorted(
        [
            (PHONE, "generic"),
            (PHONE, "login"),
            (PHONE, "reset_password"),
            (NEW_PHONE, "change_phone"),
            (OTHER_PHONE, "generic"),
            (IMPORTED_PHONE, "verify_phone"),
        ]
    )
    assert PHONE not in output.replace("+86138****8000", "")
