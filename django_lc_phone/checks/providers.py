"""Checks of the provider and what it needs: it imports (E002), LeanCloud's credentials and
master key (E001, E005, W009), https to LeanCloud (W003), the compat endpoints' app keys
(E010), and the local provider's gateway and CAPTCHA verifier (E009, W005, E022), the
webhook gateway's options included (E030, W030)."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from ..compat import LOCAL_PROVIDERS
from ..conf import get_settings
from ..sms import webhook
from .base import AppConfigs, CheckResult, error, uses_leancloud, valid, warning
from .values import imported

_CREDENTIALS: Final = ("APP_ID", "APP_KEY", "SERVER_URL")
_COMPAT_CREDENTIALS: Final = ("APP_ID", "APP_KEY")
# Gateways that send nothing to a phone: fine in development, a silent outage in production.
_DEVELOPMENT_GATEWAYS: Final = (
    "console.ConsoleGateway",
    "locmem.LocmemGateway",
    "file.FileGateway",
)


def check_provider(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E002: the provider can be imported."""
    if valid("PROVIDER") and uses_leancloud() is None:
        return [error("E002", provider=get_settings().PROVIDER)]
    return []


def check_local_provider(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E009: the local provider's gateway and CAPTCHA verifier import; E022: the verifier
    builds with its options; W005: a real gateway when DEBUG is off."""
    conf = get_settings()
    if conf.PROVIDER != "local":
        return []
    messages: CheckResult = []
    for key in ("SMS_GATEWAY", "CAPTCHA_VERIFIER"):
        path = getattr(conf, key)
        if valid(key) and imported(path) is None:
            messages.append(error("E009", key=key, path=path))
    verifier = conf.CAPTCHA_VERIFIER
    if valid("CAPTCHA_VERIFIER", "CAPTCHA_VERIFIER_OPTIONS") and imported(verifier) is not None:
        messages.extend(_verifier_problems(verifier, conf.CAPTCHA_VERIFIER_OPTIONS))
    gateway = conf.SMS_GATEWAY
    if not settings.DEBUG and valid("SMS_GATEWAY") and is_development_gateway(gateway):
        messages.append(warning("W005", path=gateway))
    return messages


def check_webhook_gateway(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E030: the webhook gateway has a usable url and secret (and its other options are
    right); W030: it posts over https, or to this machine, when DEBUG is off."""
    conf = get_settings()
    if conf.PROVIDER != "local" or not valid("SMS_GATEWAY", "SMS_GATEWAY_OPTIONS"):
        return []
    gateway = imported(conf.SMS_GATEWAY)
    if not (isinstance(gateway, type) and issubclass(gateway, webhook.WebhookGateway)):
        return []
    options = conf.SMS_GATEWAY_OPTIONS
    problems = webhook.option_problems(options)
    if problems:
        return [error("E030", problems="; ".join(problems))]
    if not settings.DEBUG and not webhook.is_private(options["url"]):
        return [warning("W030")]
    return []


def _verifier_problems(path: str, options: dict[str, Any]) -> CheckResult:
    """E022 when the verifier at ``path`` refuses ``options`` (the message names options,
    never their values)."""
    # Imported here: the local provider's package imports models, not loaded when checks is.
    from ..providers.local.captcha import build_verifier

    try:
        build_verifier(path, options)
    except ImproperlyConfigured as exc:
        return [error("E022", path=path, problem=str(exc).rstrip("."))]
    except Exception as exc:  # a verifier of the site's own that fails in its own way
        return [error("E022", path=path, problem=f"building it raised {type(exc).__name__}")]
    return []


def check_credentials(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E001: LeanCloud's provider has an app id, app key and server URL."""
    conf = get_settings()
    missing = [key for key in _CREDENTIALS if valid(key) and not getattr(conf, key)]
    if missing and uses_leancloud():
        return [error("E001", keys=", ".join(missing))]
    return []


def is_development_gateway(path: str) -> bool:
    """Whether ``path`` is one of the gateways that never reach a phone (console, locmem, file)."""
    return path.endswith(_DEVELOPMENT_GATEWAYS)


def compat_served() -> bool:
    """Whether the URLconf includes ``django_lc_phone.compat.urls`` (namespace ``lc_compat``)."""
    try:
        reverse("lc_compat:login")
    except (NoReverseMatch, ImportError, ImproperlyConfigured):
        # Not included; or a URLconf that does not load, which Django's own check reports.
        return False
    return True


def check_compat_credentials(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E010: the compat endpoints check every call against APP_ID and APP_KEY."""
    conf = get_settings()
    missing = [key for key in _COMPAT_CREDENTIALS if valid(key) and not getattr(conf, key)]
    if missing and conf.PROVIDER in LOCAL_PROVIDERS and compat_served():
        return [error("E010", keys=" or ".join(missing))]
    return []


def check_master_key(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E005: master-key SMS calls need the master key (else every send fails)."""
    conf = get_settings()
    if not valid("SMS_USE_MASTER_KEY", "MASTER_KEY"):
        return []
    if conf.SMS_USE_MASTER_KEY and not conf.MASTER_KEY and uses_leancloud():
        return [error("E005")]
    return []


def check_master_key_features(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W009: with LeanCloud's provider, the admin's re-sync and ``lc_import_users --from-api`` read
    LeanCloud with the master key, so it is set (never shown)."""
    if not valid("MASTER_KEY") or get_settings().MASTER_KEY:
        return []
    return [warning("W009")] if uses_leancloud() else []


def check_server_url(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W003: LeanCloud is reached over https unless DEBUG is on."""
    url = get_settings().SERVER_URL
    if not valid("SERVER_URL") or not url or settings.DEBUG or not uses_leancloud():
        return []
    if urlsplit(url).scheme.lower() != "https":
        return [warning("W003")]
    return []
