"""The checks' texts, as data: each id's message and hint (one place for every word shown)."""

from __future__ import annotations

from typing import Final

from . import redis as redis_policy

BACKENDS: Final = (
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",
)


class Messages:
    """Check messages, by id."""

    E001 = "LC_PHONE is missing {keys} for the LeanCloud provider."
    E002 = "LC_PHONE['PROVIDER'] {provider!r} cannot be imported."
    E003 = "LC_PHONE['TOKEN_ISSUER'] is 'authtoken' but rest_framework.authtoken is not installed."
    E004 = "LC_PHONE['TOKEN_ISSUER'] {issuer!r} cannot be imported."
    E005 = "LC_PHONE['SMS_USE_MASTER_KEY'] is on but LC_PHONE['MASTER_KEY'] is empty."
    W001 = "LC_PHONE has unknown keys: {keys}."
    W002 = "No django_lc_phone backend is in AUTHENTICATION_BACKENDS."
    W003 = "LC_PHONE['SERVER_URL'] is not https while DEBUG is off."
    E006 = "No country may receive codes: LC_PHONE['ALLOWED_REGIONS'] is empty."
    E007 = "LC_PHONE['{key}'] has unknown types: {types}."
    E008 = "LC_PHONE['{key}'] {alias!r} is not in CACHES."
    E009 = "LC_PHONE['{key}'] {path!r} cannot be imported."
    W005 = "The local provider's SMS gateway is {path!r} while DEBUG is off: no SMS reaches anyone."
    E022 = "LC_PHONE['CAPTCHA_VERIFIER'] {path!r} cannot be built: {problem}."
    E010 = "The LeanCloud-compatible endpoints (lc_compat) are served but LC_PHONE has no {keys}."
    E011 = "{setting} is {value}: it must be {expected}."
    E012 = "The limits' cache {alias!r} ({backend}) {reason}: lockouts and cooldowns do not hold."
    E013 = (
        "The limits' cache {alias!r} is a Redis server whose maxmemory-policy is {policy!r}: "
        "at maxmemory it evicts keys, lockouts and cooldowns included. It must be "
        f"{redis_policy.NO_EVICTION!r}."
    )
    E014 = "The system check {check} crashed ({error})."
    W006 = (
        "Could not read the maxmemory-policy of the limits' cache {alias!r} (Redis: {error}); "
        f"it must be {redis_policy.NO_EVICTION!r}."
    )
    W007 = "Cannot tell whether the limits' cache {alias!r} ({backend}) evicts keys."
    W008 = "LC_PHONE['{old}'] is deprecated: it was renamed LC_PHONE['{new}']."
    E020 = (
        "AUTHENTICATION_BACKENDS lists {backend} before django_lc_phone's "
        "PhonePasswordBackend: the password of a phone-number username (a phone user's "
        "username is the number) is checked there with no attempt limit."
    )
    W020 = (
        "Code sends that leave the request run on a thread of the web process ({reason}): a "
        "send still queued when a process is killed is lost."
    )
    E021 = (
        "LC_PHONE['TASK_BACKEND'] {alias!r} is a DummyBackend: login, reset and phone-change "
        "codes are queued and never sent."
    )
    W009 = (
        "LC_PHONE['MASTER_KEY'] is not set: the admin's re-sync from LeanCloud and "
        "manage.py lc_import_users --from-api will fail."
    )
    E030 = (
        "The webhook SMS gateway cannot be built from LC_PHONE['SMS_GATEWAY_OPTIONS']: {problems}."
    )
    W030 = (
        "The webhook SMS gateway posts codes and phone numbers over plain http to another "
        "machine while DEBUG is off."
    )
    E032 = "LC_PHONE['TEST_NUMBERS'] entry {number} {reason}."
    E033 = (
        "LC_PHONE['TEST_NUMBERS'] is set with the LeanCloud provider but LC_PHONE['MASTER_KEY'] "
        "is empty: a test number's sign-in needs it (LeanCloud never sees its fixed code)."
    )
    W031 = (
        "LC_PHONE['TEST_NUMBERS'] entry {number} never expires while DEBUG is off: anybody "
        "who learns its code can sign in as it."
    )


class Hints:
    """Check hints, by id."""

    E001 = "Set APP_ID, APP_KEY and SERVER_URL (your app's bound API domain)."
    E002 = "Use 'leancloud' or the dotted path of a PhoneAuthProvider class."
    E003 = "Add 'rest_framework.authtoken' to INSTALLED_APPS or choose another TOKEN_ISSUER."
    E004 = (
        "Use 'authtoken', 'session', 'simplejwt' (with djangorestframework-simplejwt installed) "
        "or the dotted path of a TokenIssuer class."
    )
    E005 = "Set MASTER_KEY, or turn SMS_USE_MASTER_KEY off."
    W001 = "Check the spelling against docs/settings.md."
    W002 = f"Add {BACKENDS[0]!r} and/or {BACKENDS[1]!r}."
    W003 = "LeanCloud credentials and session tokens must not travel in clear text."
    E006 = (
        "Set ALLOWED_REGIONS (e.g. ['CN']) or DEFAULT_REGION; '*' allows every country, which "
        "invites SMS pumping."
    )
    E007 = "Use names of phonenumbers.PhoneNumberType, e.g. 'PREMIUM_RATE'."
    E008 = "Name one of the aliases in CACHES (a cache every worker shares)."
    E009 = (
        "Use the dotted path of a class; the real gateways need their extra, e.g. "
        "pip install 'django-lc-phone[aliyun]'."
    )
    E022 = (
        "Give LC_PHONE['CAPTCHA_VERIFIER_OPTIONS'] the options docs/providers.md lists for "
        "this verifier (the vendor's site key and secret, min_score from 0.0 to 1.0...)."
    )
    W005 = (
        "Configure a real gateway (aliyun, tencent, twilio, webhook) in SMS_GATEWAY for production."
    )
    E010 = (
        "Set APP_ID and APP_KEY to the values your apps already ship; until then every call to "
        "the /1.1/ endpoints is refused (an empty app key would let anybody sign one)."
    )
    E011 = "docs/settings.md says what each key takes; the checks that read this key wait for it."
    E012 = (
        "Give LC_PHONE['CACHE'] a cache every worker shares and that never evicts: Redis with "
        "maxmemory-policy noeviction."
    )
    E013 = (
        f"Set maxmemory-policy {redis_policy.NO_EVICTION} on that server, or give the limits a "
        "Redis of their own: every limit key carries an expiry, so the volatile-* policies "
        "evict them too."
    )
    E014 = (
        "This is a bug in django-lc-phone: please report it. Calling "
        "django_lc_phone.checks.{check}() in manage.py shell shows the traceback."
    )
    W006 = (
        "Make sure the server is up and never evicts (maxmemory-policy noeviction, or maxmemory "
        "0): every limit key carries an expiry, so the volatile-* policies evict them too. "
        "Managed Redis services often disable CONFIG: look the policy up in their console."
    )
    W007 = (
        "Lockouts and cooldowns live in it: make sure every worker shares it and it never "
        "evicts, then add lc_phone.W007 to SILENCED_SYSTEM_CHECKS."
    )
    W008 = "Rename the key; the old name is read only while the new one is not set."
    E020 = (
        "List 'django_lc_phone.backends.PhonePasswordBackend' before it: it checks that password "
        "itself, as ModelBackend would, inside the attempt budget, and stops the chain once the "
        "budget is spent."
    )
    W020 = (
        "Configure TASKS with a backend that queues, run its worker (e.g. django-tasks-db) and "
        "name it in LC_PHONE['TASK_BACKEND']; or add lc_phone.W020 to SILENCED_SYSTEM_CHECKS."
    )
    E021 = "Name a backend that runs its tasks, or turn SEND_IN_BACKGROUND off."
    W009 = (
        "Set MASTER_KEY to your LeanCloud app's master key (from its settings page), or add "
        "lc_phone.W009 to SILENCED_SYSTEM_CHECKS if you use neither."
    )
    E030 = (
        "Set url to your receiver's http(s) URL and secret to the signing secret you gave it "
        "('whsec_' and the base64 of at least 24 random bytes); docs/gateways.md has the rest."
    )
    W030 = (
        "Use an https URL; if the way there is a private network you trust, add lc_phone.W030 "
        "to SILENCED_SYSTEM_CHECKS."
    )
    E032 = (
        "Each entry is '+8613800000000': {{'code': '123456', 'expires': '2027-06-30'}} (an E.164 "
        "number, six digits, the last day in UTC); a malformed entry's number is refused."
    )
    E033 = "Set MASTER_KEY, or remove TEST_NUMBERS."
    W031 = (
        "Give it an 'expires' day (the end of the store review), or add lc_phone.W031 to "
        "SILENCED_SYSTEM_CHECKS."
    )
