"""What every check is built from: the result types, the message factories and the
settings questions several checks ask (is a key valid, is the provider LeanCloud's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from django.apps import AppConfig
from django.core import checks

from ..conf import get_settings
from .messages import Hints, Messages
from .values import imported, invalid_keys

TAG: Final = "lc_phone"

CheckResult = list[checks.CheckMessage]
AppConfigs = Sequence[AppConfig] | None
Check = Callable[..., CheckResult]


def valid(*keys: str) -> bool:
    """Whether every one of ``keys`` follows its rule (else E011 reports it, once)."""
    return not invalid_keys().intersection(keys)


def uses_leancloud() -> bool | None:
    """Whether the provider is LeanCloud's (``None``: it is invalid or cannot be imported)."""
    from ..providers import _BUILTIN
    from ..providers.leancloud import LeanCloudProvider

    if not valid("PROVIDER"):
        return None
    name = get_settings().PROVIDER
    provider = imported(_BUILTIN.get(name, name))
    if provider is None:
        return None
    return isinstance(provider, type) and issubclass(provider, LeanCloudProvider)


def error(check_id: str, **values: Any) -> checks.Error:
    """The Error ``check_id``, its message and hint filled in with ``values``."""
    return checks.Error(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id).format(**values),
        id=f"{TAG}.{check_id}",
    )


def warning(check_id: str, **values: Any) -> checks.Warning:
    """The Warning ``check_id``, its message and hint filled in with ``values``."""
    return checks.Warning(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id).format(**values),
        id=f"{TAG}.{check_id}",
    )
