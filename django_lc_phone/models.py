"""PhoneProfile: a local user's phone number, its verification, and its link to the remote user."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .leancloud.wire import new_object_id, new_session_token
from .redaction import mask_phone


class PhoneProfile(models.Model):
    """One per user. ``phone`` and ``lc_object_id`` are unique: the database guards the links."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lc_phone_profile",
        verbose_name=_("user"),
    )
    phone = PhoneNumberField(_("phone number"), unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    lc_object_id = models.CharField(
        _("LeanCloud objectId"), max_length=24, unique=True, null=True, blank=True
    )
    # The provider's session token, needed to act as the user (phone change). A bearer secret:
    # never in an API response, the admin or a log.
    lc_session_token = models.CharField(max_length=128, blank=True, default="", editable=False)
    # When that token was last known good: the sign-in that stored it, or the updatedAt of the
    # exported record it came from (the newest wins; ``lc_cutover`` carries it over).
    lc_session_token_at = models.DateTimeField(null=True, blank=True, editable=False)
    # LeanCloud's updatedAt for the user, as the last import read it.
    lc_updated_at = models.DateTimeField(_("updated on LeanCloud"), null=True, blank=True)
    # Whether LeanCloud holds a password for the user: True once an export carried a hash or
    # a password was captured, False when the export carried none, None when nobody knows.
    lc_has_password = models.BooleanField(null=True, blank=True, editable=False)
    # When the user's local password hash was last known to be LeanCloud's current one: the
    # updatedAt of the exported record it came from, or the moment ``lc_cutover`` put a
    # capture in place.
    password_hash_at = models.DateTimeField(null=True, blank=True, editable=False)
    # CAPTURE_PASSWORDS: a hash (the site's own hasher) of the last password LeanCloud
    # accepted for this user. Never checked while LeanCloud is the provider; ``lc_cutover``
    # makes it the user's password when it is newer than the imported one.
    captured_password = models.CharField(max_length=128, blank=True, default="", editable=False)
    password_captured_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone profile")
        verbose_name_plural = _("phone profiles")

    def __str__(self) -> str:
        return mask_phone(self.phone_e164) or gettext("phone profile %(pk)s") % {"pk": self.pk}

    def __repr__(self) -> str:
        return f"<PhoneProfile {self.pk} {mask_phone(self.phone_e164)!r}>"

    @property
    def phone_e164(self) -> str:
        """The phone as an E.164 string ("" when there is none)."""
        return str(self.phone) if self.phone else ""

    def complete_identity(self) -> None:
        """Give the profile what the local provider and LeanCloud's SDKs address a user by,
        where it lacks them: an objectId, and a session token to act as the user with (minted
        again after a reset cleared it; profiles made in the admin, or by a username sign-up
        or login, may have neither). Saved at once; nothing is written when both are there."""
        fields = []
        if not self.lc_object_id:
            self.lc_object_id = new_object_id()
            fields.append("lc_object_id")
        if not self.lc_session_token:
            self.lc_session_token = new_session_token()
            fields.append("lc_session_token")
        if fields:
            self.save(update_fields=[*fields, "updated_at"])


def profiles_with_user() -> models.QuerySet[PhoneProfile]:
    """Phone profiles read with their users and, where ``rest_framework.authtoken`` is
    installed, each user's DRF token (a LEFT JOIN: a user may have none yet).

    A sign-in reads the profile, then hands out the user's token: with the token in the same
    read, ``tokens.AuthTokenIssuer`` takes it from the user (``user.auth_token``, DRF's
    related name) instead of asking for it in another query.
    """
    related = ["user"]
    if apps.is_installed("rest_framework.authtoken"):
        related.append("user__auth_token")
    return PhoneProfile.objects.select_related(*related)


class PhoneCode(models.Model):
    """A code the local provider sent: only its keyed hash is kept, and it is used once.

    Bound to a number and a purpose (and, for a phone change, to the user who asked), so a
    code for one flow never works in another. Asking for a new code voids the older ones.
    """

    phone = models.CharField(_("phone number"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # HMAC-SHA256 of the code and what it is bound to, keyed with SECRET_KEY.
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone code")
        verbose_name_plural = _("phone codes")
        indexes = [models.Index(fields=["phone", "purpose"], name="lc_phone_code_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose} code for {mask_phone(self.phone)}"

    def __repr__(self) -> str:
        return f"<PhoneCode {self.pk} {mask_phone(self.phone)!r} {self.purpose}>"


class CompatSession(models.Model):
    """A LeanCloud-style session token the compat endpoints issued (``compat/sessions.py``).

    Only the token's SHA-256 is kept: the token itself is shown once, in the answer that
    issued it. Revoked sessions are kept (``revoked_at``) until deleted by the operators.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compat session")
        verbose_name_plural = _("compat sessions")

    def __str__(self) -> str:
        return gettext("compat session %(pk)s of user %(user)s") % {
            "pk": self.pk,
            "user": self.user_id,
        }

    def __repr__(self) -> str:
        return (
            f"<CompatSession {self.pk} user={self.user_id} revoked={self.revoked_at is not None}>"
        )


class SignedInSession(models.Model):
    """A Django session a user signed in with, so that a phone change can end the others.

    Django ties a session to a hash of the user's password and nothing else, so a session
    outlives a phone change; ``revocation.py`` records each session a user signs in with and
    ends them by key through the configured session engine. The key is what Django's own
    session table keeps too (as django-allauth's ``usersessions`` does); signed-cookie sessions
    have no key on the server and cannot be recorded.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    session_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return gettext("session of user %(user)s") % {"user": self.user_id}

    def __repr__(self) -> str:
        return f"<SignedInSession {self.pk} user={self.user_id}>"


class ImportWatermark(models.Model):
    """How far a source's imports have read (``lc_import_users --updated-since auto``): the
    newest ``updatedAt`` a complete run saw, so the next run scans only what changed since."""

    source = models.CharField(_("source"), max_length=32, unique=True)
    updated_since = models.DateTimeField(_("updated since"))
    finished_at = models.DateTimeField(_("finished at"), auto_now=True)

    class Meta:
        verbose_name = _("import watermark")
        verbose_name_plural = _("import watermarks")

    def __str__(self) -> str:
        return f"{self.source}: {self.updated_since.isoformat()}"
