"""Two-factor sign-in in tests (a plugin loaded by the root conftest.py).

A real staff sign-in ends with a code from the authenticator app. `client.force_login(user)` stands for
a finished sign-in, so for users who need a second factor it also passes it: the session is marked as
verified by a confirmed test authenticator, exactly the state the verify page leaves. Tests of the
second step itself use `login_without_second_factor(client, user)`.
"""

import time

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.twofactor.services import second_factor_required, totp_now

_force_login = Client.force_login
TEST_DEVICE_NAME = "Test authenticator"


def authenticator_for(user) -> TOTPDevice:
    """The user's confirmed test authenticator app (created once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the first step's after the last one used, waiting for it to come within the
    device's tolerance. (Taking the next step's whenever the current one was used gave a third sign-in within one
    30-second step the second one's code again, refused as used: a CI run's phone test.)"""
    device.refresh_from_db()
    wanted = max(_step(device, time.time()), device.last_t + 1)
    while _step(device, time.time()) + device.tolerance < wanted:
        time.sleep(0.5)
    return totp_now(device, at=device.t0 + (wanted - device.drift) * device.step + device.step / 2)


def _step(device: TOTPDevice, moment: float) -> int:
    """The step a code made at `moment` carries, as django-otp counts it (with the device's drift)."""
    return int((moment - device.t0) // device.step) + device.drift


def verify_session(client: Client, user) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def login_without_second_factor(client: Client, user) -> Client:
    _force_login(client, user)
    return client


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    def force_login(self, user, backend=None):
        _force_login(self, user, backend)
        if second_factor_required(user):
            verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def browser_second_step(page, user) -> None:
    """In a browser test, after the password: type the code of the user's authenticator, when one is asked."""
    if not second_factor_required(user):
        return
    import re

    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    page.get_by_label("Code").fill(next_code(authenticator_for(user)))
    page.get_by_role("button", name="Verify").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/two-factor/"))
