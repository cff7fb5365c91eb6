"""Emails about a person's own account and standing, sent whatever their notification preferences.

A change that the owner of the address did not make (a password, the second factor, a role) is how a
taken-over account is noticed, so these cannot be turned off; each says what changed, when, and what
to do if it was not them. Written in the recipient's language, sent after the transaction commits.
"""

from functools import partial

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from console.models import Organisation, User
from console.notify.services import _send_email, absolute_url, user_language
from console.roles import Role


def _notice(user: User, subject, what, unexpected, url: str = "") -> None:
    """`subject`, `what` and `unexpected` are callables, run in the recipient's language; `url` a console path."""
    with translation.override(user_language(user)):
        context = {"what": what(), "unexpected": unexpected(), "when": timezone.localtime(), "url": absolute_url(url)}
        body = render_to_string("console/email/account_notice.txt", context)
        text = subject()
    transaction.on_commit(partial(_send_email, text, body, user.email))


def _security_notice(user: User, subject, what) -> None:
    _notice(user, subject, what, lambda: _("If this was not you, reset your password now:"),
            reverse("password_reset"))


def password_changed(user: User) -> None:
    _security_notice(user, lambda: _("Your password was changed"),
                     lambda: _("The password of your account %(email)s was changed.") % {"email": user.email})


def two_factor_turned_off(user: User) -> None:
    _security_notice(user, lambda: _("Two-factor sign-in was turned off"),
                     lambda: _("Two-factor sign-in was turned off for %(email)s: a password alone now signs in.")
                     % {"email": user.email})


def authenticator_moved(user: User) -> None:
    _security_notice(user, lambda: _("Two-factor sign-in moved to a new phone"),
                     lambda: _("Two-factor sign-in of %(email)s moved to a new authenticator app; the old one and the "
                               "old recovery codes no longer work.") % {"email": user.email})


def recovery_codes_renewed(user: User) -> None:
    _security_notice(user, lambda: _("New recovery codes were made"),
                     lambda: _("New two-factor recovery codes were made for %(email)s; the old ones no longer "
                               "work.") % {"email": user.email})


def _ask_an_owner(organisation: Organisation):
    return lambda: _("If this is a mistake, ask an owner of %(org)s.") % {"org": organisation.name}


def role_changed(user: User, organisation: Organisation, role: str, by: User) -> None:
    _notice(user, lambda: _("Your role in %(org)s is now %(role)s") % {"org": organisation.name,
                                                                         "role": Role(role).label},
            lambda: _("%(by)s changed your role in %(org)s to %(role)s.") % {
                "by": by.display_name, "org": organisation.name, "role": Role(role).label},
            _ask_an_owner(organisation), reverse("organisation_dashboard", args=[organisation.slug]))


def removed_from(user: User, organisation: Organisation, by: User) -> None:
    _notice(user, lambda: _("You are no longer a member of %(org)s") % {"org": organisation.name},
            lambda: _("%(by)s removed you from %(org)s; your API keys there were revoked.") % {
                "by": by.display_name, "org": organisation.name},
            _ask_an_owner(organisation))
