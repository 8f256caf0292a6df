"""What ``lc_cutover_check`` reports: each item OK, WARN or FAIL, with the objectIds of the
users it names. It reads the database and the settings, and sends one SMS when asked to;
it runs as well while the site is still on LeanCloud (that is when it matters) as after.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

from django.conf import settings
from django.contrib.auth.hashers import get_hashers
from django.core.checks import ERROR
from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve

from ..checks.limits import eviction
from ..checks.providers import is_development_gateway
from ..conf import get_settings
from ..hashers import LeanCloudSHA512PasswordHasher
from ..models import PhoneProfile
from ..redaction import mask_phone
from ..sms import PURPOSES, SmsMessage, build_gateway, choose, choose_sign
from .steps import in_batches, password_state

Status = Literal["OK", "WARN", "FAIL"]
RANK: Final[dict[Status, int]] = {"OK": 0, "WARN": 1, "FAIL": 2}
# The compat path an SDK's first login calls: it must reach compat at the site's root.
COMPAT_PROBE: Final = "/1.1/login"
REFUND_WARNING: Final = (
    "LeanCloud's refund flow deletes every app of the account at once: take each app's "
    "export (and this check's last run) before asking for a refund."
)


@dataclass(frozen=True)
class Item:
    """One line of the report."""

    id: str
    status: Status
    summary: str
    object_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Report:
    """Every item, and the worst status among them."""

    items: tuple[Item, ...]

    @property
    def status(self) -> Status:
        return max((item.status for item in self.items), key=RANK.__getitem__, default="OK")


def _users() -> Iterator[PhoneProfile]:
    """Every profile linked to a LeanCloud user, with its user, in batches."""
    linked = PhoneProfile.objects.select_related("user").exclude(lc_object_id=None)
    for rows in in_batches(linked):
        yield from rows


def user_items() -> list[Item]:
    """The users: how many can check a password here, who needs a reset, who has no way in."""
    with_password = checkable = 0
    resets: list[str] = []
    stranded: list[str] = []
    for profile in _users():
        state = password_state(profile)
        if state.lc_has_password is not False:
            with_password += 1
            checkable += state.checkable
        if state.needs_reset:
            resets.append(str(profile.lc_object_id))
        if not state.checkable and not profile.phone:
            stranded.append(str(profile.lc_object_id))
    share = f"{checkable} of {with_password} users whose LeanCloud account may have a password"
    return [
        Item(
            "local_passwords",
            "OK" if checkable == with_password else "WARN",
            f"{share} can have it checked here (an exported hash or a capture).",
        ),
        Item(
            "password_resets",
            "WARN" if resets else "OK",
            f"{len(resets)} users will need a password reset: no local hash, or only one "
            "older than their last change on LeanCloud.",
            tuple(resets),
        ),
        Item(
            "no_way_in",
            "WARN" if stranded else "OK",
            f"{len(stranded)} users have neither a password nor a phone: only a carried-over "
            "session lets them in.",
            tuple(stranded),
        ),
    ]


def _gateway_items(test_number: str | None) -> list[Item]:
    """The local provider's SMS gateway: configured, with its templates, and a test send."""
    conf = get_settings()
    try:
        gateway = build_gateway(conf.SMS_GATEWAY, conf.SMS_GATEWAY_OPTIONS)
    except ImproperlyConfigured as exc:  # its text names options, never their values
        return [Item("sms_gateway", "FAIL", f"{conf.SMS_GATEWAY} cannot be built: {exc}")]
    except Exception as exc:  # any other failure to build it is the finding too
        return [Item("sms_gateway", "FAIL", f"{conf.SMS_GATEWAY}: {type(exc).__name__}.")]
    development = is_development_gateway(conf.SMS_GATEWAY)
    items = [
        Item(
            "sms_gateway",
            "WARN" if development else "OK",
            f"{conf.SMS_GATEWAY}"
            + (": a development gateway, codes reach no phone." if development else "."),
        ),
        _templates_item(gateway.__class__),
    ]
    if test_number is None:
        items.append(Item("sms_test_send", "WARN", "Not tried: pass --send-test-to NUMBER."))
        return items
    message = SmsMessage(
        phone=test_number,
        purpose="generic",
        text=f"django-lc-phone cutover check {secrets.randbelow(10**6):06d}",
        code=f"{secrets.randbelow(10**6):06d}",
    )
    try:
        gateway.send(message)
    except Exception as exc:  # a refusal (LcPhoneError), or a bad option the send trips on
        return [*items, Item("sms_test_send", "FAIL", f"{type(exc).__name__} for the test send.")]
    items.append(Item("sms_test_send", "OK", f"Delivered to {mask_phone(test_number)}."))
    return items


def _templates_item(gateway: type) -> Item:
    """Template gateways (Aliyun, Tencent) need a template and a signature for each purpose."""
    if "templates" not in inspect.signature(gateway).parameters:
        return Item("sms_templates", "OK", "The gateway sends free text: no templates needed.")
    options = get_settings().SMS_GATEWAY_OPTIONS
    missing = [
        purpose
        for purpose in PURPOSES
        if not choose(options.get("templates"), SmsMessage("+1", purpose, ""))
        or not choose_sign(options.get("sign_name"), SmsMessage("+1", purpose, ""))
    ]
    if missing:
        return Item("sms_templates", "FAIL", f"No template or signature for: {', '.join(missing)}.")
    return Item("sms_templates", "OK", "A template and a signature for every purpose.")


def _compat_item() -> Item:
    """compat at the site's root, with the app id and key the SDKs send."""
    conf = get_settings()
    try:
        match = resolve(COMPAT_PROBE)
    except Resolver404:
        match = None
    except ImproperlyConfigured as exc:  # compat included while LeanCloud is the provider
        return Item("compat", "FAIL", f"The URLconf does not load: {exc}")
    if match is None or "lc_compat" not in match.namespaces:
        return Item(
            "compat",
            "WARN",
            f"{COMPAT_PROBE} is not compat's: apps on LeanCloud's SDKs cannot move here. "
            "compat serves the local provider only: include django_lc_phone.compat.urls at "
            "the root in the deploy that sets PROVIDER to 'local'.",
        )
    if not conf.APP_ID or not conf.APP_KEY:
        return Item("compat", "FAIL", "compat is mounted, but APP_ID or APP_KEY is not set.")
    return Item("compat", "OK", "compat is mounted at the site's root with APP_ID and APP_KEY.")


def _hasher_item() -> Item:
    if any(isinstance(h, LeanCloudSHA512PasswordHasher) for h in get_hashers()):
        return Item("hasher", "OK", "LeanCloud's hasher is in PASSWORD_HASHERS.")
    return Item(
        "hasher",
        "FAIL",
        "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher is not in PASSWORD_HASHERS: "
        "no imported password can be checked.",
    )


def _cache_item() -> Item:
    alias = get_settings().CACHE
    if alias not in settings.CACHES:
        return Item("limits_cache", "FAIL", f"The limits' cache {alias!r} is not in CACHES.")
    findings = eviction(alias)
    if not findings:
        return Item("limits_cache", "OK", f"The limits' cache {alias!r} is shared and keeps them.")
    worst: Status = "FAIL" if any(m.level >= ERROR for m in findings) else "WARN"
    return Item("limits_cache", worst, " ".join(str(m.msg) for m in findings))


SETTINGS_ITEMS: Final[tuple[Callable[[], Item], ...]] = (_compat_item, _hasher_item, _cache_item)


def check(*, test_number: str | None = None) -> Report:
    """The whole report; sends one SMS to ``test_number`` when it is given."""
    items = [*user_items(), *_gateway_items(test_number)]
    items += [make() for make in SETTINGS_ITEMS]
    items.append(Item("refund", "WARN", REFUND_WARNING))
    return Report(tuple(items))
