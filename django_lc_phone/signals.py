"""The signals django-lc-phone sends. Declarations only.

Every signal is sent with ``sender`` set to the class that sent it and these keyword arguments:
"""

from django.dispatch import Signal

# A user signed in or signed up with the provider.
#   remote_user: providers.base.RemoteUser (with its session token)
#   request: the HttpRequest, or None
#   user: the local user it is linked to (sync.link_remote_user linked or created it first)
remote_user_authenticated = Signal()

# A local user was created for a remote one.
#   user: the new local user; remote_user: providers.base.RemoteUser
phone_user_created = Signal()

# A user's phone number was verified.
#   user; phone: E.164 string
phone_verified = Signal()

# A user's phone number changed.
#   user; old_phone: E.164 string or None; new_phone: E.164 string
phone_changed = Signal()

# The old number of a user was told of a change (LC_PHONE["PHONE_CHANGE_NOTICE"]): sent after
# the SMS left, outside the request (deliveries.py); a failed notice is logged, not signalled.
#   user (None when deleted since); old_phone, new_phone: E.164 strings
phone_change_notice_sent = Signal()

# A user's password was reset by SMS code (their other sessions and tokens are revoked;
# the signal is sent once the change is committed).
#   user (None when no local user is linked yet); phone: E.164 string
password_reset = Signal()

# A user's other sessions and tokens were revoked (a password reset or change, a phone change).
#   user; reason: "password_reset", "password_changed" or "phone_changed"; request: the
#   request that made the change (its own credentials stay), or None
credentials_revoked = Signal()

# The site's SMS budget for an hour or a day is spent: code requests answer 503 until it
# renews. Sent once per window; connect it to page someone.
#   limit: the budget; seconds: its window (3600 or 86400)
sms_budget_exhausted = Signal()

# A number prefix looks pumped (many code sends, few of them verified: SMS pumping, toll
# fraud): its code requests need a solved CAPTCHA from now on. Sent once per prefix per hour.
#   prefix: the prefix, its hidden digits as "*" (e.g. "+8613800******"); prefix_digest: its
#   keyed digest (what the limits and the log line carry); sends, verified: the prefix's code
#   sends and verified codes this hour and the last
sms_pumping_suspected = Signal()

# A circuit breaker opened (a remote keeps failing) or closed again.
#   state: "open" or "closed"; failures: consecutive failures counted; name: the breaker
#   ("leancloud", "sms:<gateway class path>", ...)
circuit_state_changed = Signal()

# A code send that ran outside the request (deliveries.py) failed: the client was already
# answered, so this and an ERROR log are all that tells of it.
#   flow: "login", "reset_password", "verify_phone" or "change_phone"; phone: E.164 string;
#   error: the exception (a django_lc_phone.exceptions error for outages and refusals)
code_send_failed = Signal()
