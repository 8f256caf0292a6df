"""The emulator's one exception: an error LeanCloud would answer with ``{"code", "error"}``."""

from __future__ import annotations

from ..wire import Code, error_body, error_status


class LCError(Exception):
    """Raised by handlers; the app turns it into LeanCloud's status and JSON body."""

    def __init__(self, code: int, message: str | None = None, *, status: int | None = None):
        super().__init__(code, message)
        self.code = code
        self.body = error_body(code, message)
        self.status = status if status is not None else error_status(code)


def bad_request(message: str) -> LCError:
    """LeanCloud's catch-all code 1 with a specific message."""
    return LCError(Code.INTERNAL, message)
