"""One structured log event per authentication outcome, with nothing secret in it.

Logger ``django_lc_phone.audit``. Each record's message reads ``lc_phone.<event> outcome=<code>
phone=<masked> client=<hash>``, and the same fields are attributes of the record
(``record.lc_phone``) for structured handlers. Phone numbers are masked (``+86138****8000``),
client addresses keyed-hashed; codes, passwords, tokens and keys are never passed in. Every
value is our own identifier or a masked E.164 number, so no client input reaches the line
(no log injection).
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from .guards.identity import client_digest
from .redaction import mask_phone

logger = logging.getLogger("django_lc_phone.audit")


def auth_event(
    event: str,
    outcome: str,
    *,
    status: int,
    phone: str | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Log one outcome: ``outcome`` is ``ok`` or the error code the client was answered."""
    fields: dict[str, Any] = {
        "event": event,
        "outcome": outcome,
        "status": status,
        "phone": mask_phone(phone) if phone else None,
        "client": client_digest(request)[:16] if request is not None else None,
    }
    level = logging.INFO if status < 400 else logging.ERROR if status >= 500 else logging.WARNING
    logger.log(
        level,
        "lc_phone.%s outcome=%s status=%s phone=%s client=%s",
        event,
        outcome,
        status,
        fields["phone"] or "-",
        fields["client"] or "-",
        extra={"lc_phone": fields},
    )
