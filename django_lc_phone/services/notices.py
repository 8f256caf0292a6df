"""The notice to a user's old number when the number changes ("your number on SITE was changed
to +86139****9000"): handed to ``deliveries`` once the change is committed, so it adds no
latency and a gateway's failure undoes nothing; the task that sends it never raises.

On by default with the local provider, off with LeanCloud's (``PHONE_CHANGE_NOTICE``): there
the notice is a template message of ``requestSmsCode``, whose template LeanCloud must approve
first. A test number never gets one (it gets no SMS at all). It spends no send budget: each
confirmed change, which has spent a code's already, sends one at most.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .. import deliveries, signals
from ..conf import get_settings
from ..models import PhoneProfile
from ..providers.base import SendsNotices
from ..providers.testnumbers import is_test_number
from ..redaction import mask_phone
from .provider import provider

logger = logging.getLogger("django_lc_phone.security")

# The texts, with the site's name and without (SITE_NAME unset), in the request's language.
_WITH_SITE = _(
    "Your phone number on %(site)s was changed to %(phone)s. If this was not you, contact us."
)
_WITHOUT_SITE = _(
    "The phone number of your account was changed to %(phone)s. If this was not you, contact us."
)


def notices_on() -> bool:
    """Whether the old number is told (``PHONE_CHANGE_NOTICE``; None: when the provider sends
    notices itself, as the local one does, and not through a template to approve first)."""
    setting = get_settings().PHONE_CHANGE_NOTICE
    return isinstance(provider(), SendsNotices) if setting is None else setting


def notify_phone_change(
    user: AbstractBaseUser, old_phone: str | None, new_phone: str, *, old_verified: bool
) -> None:
    """Queue the notice to ``old_phone`` once the transaction commits (none without an old
    number, with notices off, or to a test number). Nor to an old number the account never
    verified: anybody can sign up with anybody's number, and changing away from it again and
    again would send its holder notice after notice at the site's cost."""
    if not old_phone or not old_verified or not notices_on() or is_test_number(old_phone):
        return
    kwargs = {
        "user_id": str(user.pk),
        "old_phone": old_phone,
        "new_phone": new_phone,
        "language": translation.get_language(),
    }
    transaction.on_commit(lambda: deliveries.submit(send_phone_change_notice, **kwargs))


def _text(variables: dict[str, str]) -> str:
    custom = get_settings().PHONE_CHANGE_NOTICE_TEXT
    if custom is not None:
        return custom % variables
    return str(_WITH_SITE if variables["site"] else _WITHOUT_SITE) % variables


def send_phone_change_notice(
    user_id: str, old_phone: str, new_phone: str, language: str | None = None
) -> None:
    """Send the notice (the task ``deliveries`` runs; never raises): a failure is logged,
    and ``phone_change_notice_sent`` follows a notice that left."""
    conf = get_settings()
    variables = {"site": conf.SITE_NAME, "phone": mask_phone(new_phone)}
    template = conf.PHONE_CHANGE_NOTICE_TEMPLATE
    try:
        with translation.override(language):
            sender = provider()
            if isinstance(sender, SendsNotices):
                text = _text(variables)
                sender.send_notice(old_phone, text=text, template=template, variables=variables)
            else:
                sender.send_code(old_phone, template=template, variables=variables)
    except Exception as error:
        logger.error(
            "phone change notice failed: phone=%s error=%s",
            mask_phone(old_phone),
            type(error).__name__,
        )
        return
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    signals.phone_change_notice_sent.send(
        sender=PhoneProfile, user=user, old_phone=old_phone, new_phone=new_phone
    )


# Where a worker finds it: the module attribute of the function's own name.
send_phone_change_notice = deliveries.as_task(send_phone_change_notice)
