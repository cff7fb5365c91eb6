"""Enrolling, checking and removing a user's second factor; the demo staff's fixed authenticator."""

import hashlib
import time
from base64 import b32encode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import device_classes, devices_for_user, match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from console import sql
from console.models import User
from console.notify import account
from console.services import audit_record

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


class AuditAction:
    TWO_FACTOR_ENABLE = "user.two_factor_enable"
    TWO_FACTOR_DISABLE = "user.two_factor_disable"
    RECOVERY_CODES_REGENERATE = "user.recovery_codes_regenerate"


def second_factor_required(user) -> bool:
    """Platform staff must have a second factor; anyone who turned one on must use it."""
    return user.is_platform_staff or has_second_factor(user)


def has_second_factor(user) -> bool:
    """Whether the user has a confirmed device of any kind (django-otp's `user_has_device`, in one query).

    The two-factor middleware asks on every signed-in request; `user_has_device` reads each device
    table in turn (two queries for the many users without a device). The SQL is our own: Django
    building the union cost eight times running it (console/sql.py).
    """
    if user.is_anonymous:
        return False
    models = list(device_classes())
    if not models:
        return False
    confirmed = " UNION ALL ".join(
        f"SELECT 1 FROM {sql.table(model)} WHERE {sql.column(model, 'user')} = %s AND {sql.column(model, 'confirmed')}"
        for model in models)
    return bool(sql.fetch(models[0], f"{confirmed} LIMIT 1", [user.pk] * len(models)))


def base32_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app (groups of four)."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The pending (unconfirmed) authenticator the setup page shows as a QR code; one at a time."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return pending


@transaction.atomic
def totp_device_confirm(*, user: User, token: str, current_code: str = "") -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code it shows; returns it and fresh recovery codes.

    A confirmed authenticator replaces any earlier one: moving to a new phone also takes a code of the
    current one (or a recovery code), as turning two-factor off does, and is emailed.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not device.verify_token(_digits(token)):
        raise ValidationError({"code": _("That code is not right. Check the time on your phone and try again.")})
    moving = has_second_factor(user)
    if moving and second_factor_check(user=user, token=current_code) is None:
        raise ValidationError({"current_code": _("That code is not right, or it was already used. Type the code "
                                                 "your current app shows now, or a recovery code.")})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit_record(action=AuditAction.TWO_FACTOR_ENABLE, target=user, actor=user)
    if moving:
        account.authenticator_moved(user)
    return device, codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """New recovery codes, given a current code: an open session alone (a borrowed laptop) must not get them."""
    if not has_second_factor(user):
        raise ValidationError(_("Turn on two-factor sign-in first."))
    _confirm_with_a_code(user, code)
    codes = _new_recovery_codes(user)
    audit_record(action=AuditAction.RECOVERY_CODES_REGENERATE, target=user, actor=user)
    account.recovery_codes_renewed(user)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, code: str) -> None:
    """Turn the second factor off, given a current code (an open session alone must not), and say so by email."""
    if user.is_platform_staff:
        raise PermissionDenied(_("Platform staff must keep two-factor sign-in."))
    _confirm_with_a_code(user, code)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action=AuditAction.TWO_FACTOR_DISABLE, target=user, actor=user)
    account.two_factor_turned_off(user)


def _confirm_with_a_code(user: User, code: str) -> None:
    if second_factor_check(user=user, token=code) is None:
        raise ValidationError(_("That code is not right, or it was already used. Type the code your app shows now, "
                                "or a recovery code."))


def second_factor_check(*, user: User, token: str):
    """The confirmed device (authenticator or recovery code) that accepts `token`, or None.

    Each device throttles wrong codes itself (django-otp: the wait doubles after every failure).
    """
    token = token.strip().replace(" ", "").lower()
    if not token:
        return None
    return match_token(user, token)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME,
                                                          defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())


# ---------------------------------------------------------------- demo staff


DEMO_DEVICE_NAME = "Demo authenticator"


def demo_totp_key(email: str) -> str:
    """A fixed TOTP key per demo account, derived from SECRET_KEY (so nothing secret is committed)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:demo-totp:{email}".encode()).hexdigest()[:40]


@transaction.atomic
def demo_totp_device(*, user: User) -> TOTPDevice:
    """Give a demo account its fixed authenticator (idempotent); `manage.py demo_totp` prints its codes."""
    key = demo_totp_key(user.email)
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)
    elif device.key != key or not device.confirmed:
        device.key, device.confirmed = key, True
        device.save(update_fields=["key", "confirmed"])
    return device


def totp_now(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the device's authenticator app would show now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


def devices(user: User):
    return list(devices_for_user(user, confirmed=True))
