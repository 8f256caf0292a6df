"""The app's limits: which budgets a code request, a code or password attempt, a CAPTCHA answer
and a rename spend.

Checked before the provider is called, in a cache every worker shares (``windows``), and
keyed by keyed digests of the number and the client (``identity``: the cache holds no phone
numbers or addresses). The same limits apply to numbers with and without an account, so they
reveal nothing. Per-client budgets are taken first: a request they refuse writes no key for the
number it names, so no client can fill the cache with keys of numbers it makes up.

Failed attempts are counted so that no outsider can lock an owner out (docs/security.md):

- per client, and per client and number, at small thresholds: a guesser stops itself;
- per number, from every client: once a number has a few recent failures, clients that never
  signed in as that number need a solved CAPTCHA (a step-up, not a refusal), and a ceiling far
  above (NIST SP 800-63B-4: at most 100 consecutive failures) refuses everyone;
- below a provider's own account lock (LeanCloud locks a number after more than six failed
  logins in 15 minutes), so that lock is never set off through the app.

One module per kind of budget: ``sends`` (a code request), ``attempts`` (a code or password
attempt, at a number or at an account a username or an email names), ``accounts`` (CAPTCHA
answers, renames, username sign-ups); ``common`` holds what they are made of.
"""

from __future__ import annotations

from .accounts import captcha_answer, new_account, rename
from .attempts import AttemptKind, account_attempt, attempt, attempt_without_number
from .common import AccountLock, remember_validate_token
from .sends import reserve_send, sending

__all__ = [
    "AccountLock",
    "AttemptKind",
    "account_attempt",
    "attempt",
    "attempt_without_number",
    "captcha_answer",
    "new_account",
    "remember_validate_token",
    "rename",
    "reserve_send",
    "sending",
]
