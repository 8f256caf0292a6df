"""The emulator's one exception: an error LeanCloud would answer with ``{"code", "error"}``.

It is the shared :class:`~django_lc_phone.leancloud.protocol.ProtocolError`, under the
emulator's old name, so the compat layer and the emulator raise and answer the same errors.
"""

from __future__ import annotations

from ..leancloud.protocol import ProtocolError, bad_request

LCError = ProtocolError

__all__ = ["LCError", "bad_request"]
