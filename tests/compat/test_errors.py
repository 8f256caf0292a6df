"""How compat answers the app's errors that LeanCloud has no code of its own for."""

from __future__ import annotations

import pytest

from django_lc_phone.compat.errors import to_protocol
from django_lc_phone.exceptions import (
    BadProviderResponse,
    ProviderError,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
)
from django_lc_phone.leancloud.wire import Code


@pytest.mark.parametrize(
    "error",
    [ProviderMisconfigured(), ProviderUnavailable(), ProviderTimeout(), BadProviderResponse()],
    ids=lambda e: type(e).__name__,
)
def test_a_provider_failure_is_leancloud_s_internal_error_with_503(error: ProviderError) -> None:
    """A missing master key is ours to fix, as an outage is: code 1 (LeanCloud's "internal
    error"), 503, never the "invalid argument" a client would try to correct."""
    answer = to_protocol(error)
    assert (answer.code, answer.status) == (Code.INTERNAL, 503)
