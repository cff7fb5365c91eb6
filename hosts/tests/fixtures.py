"""Fixtures for host calls: a clean runtime store, a host credential and a signed-request helper.

Test modules import what they use (`from hosts.tests.fixtures import *`), so the root conftest stays as it is.
"""

import json
import time

import pytest
from rest_framework.test import APIClient

from hosts import signing
from hosts.models import Host
from hosts.runtime import host_store
from hosts.selectors import forget_cached_credentials
from hosts.services import credential_create


def _forget_everything():
    host_store().clear()
    forget_cached_credentials()
    from distribution.host_facts import forget_host_facts

    forget_host_facts()


@pytest.fixture(autouse=True)
def clean_host_runtime():
    """Each test starts with no counters, nonces or answers, and nothing cached in this process."""
    _forget_everything()
    yield
    _forget_everything()


@pytest.fixture
def weibo(db) -> Host:
    return Host.objects.get(code="weibo")


@pytest.fixture
def alipay(db) -> Host:
    return Host.objects.get(code="alipay")


@pytest.fixture
def weibo_credential(weibo):
    """(HostCredential, secret) for weibo."""
    return credential_create(host=weibo, actor=None, name="test")


class SignedClient:
    """Signs like a host would; `tamper` hooks let a test break one part of what was signed."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret, self.api = key_id, secret, APIClient()

    def headers(self, method, path, body, *, timestamp=None, key_id=None, secret=None):
        stamp = int(time.time()) if timestamp is None else timestamp
        raw = signing.signed_headers(key_id or self.key_id, secret or self.secret, stamp, method, path, body)
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in raw.items()}

    def post(self, path, payload, *, send_body=None, send_path=None, **sign):
        body = json.dumps(payload).encode()
        meta = self.headers("POST", path, body, **sign)
        return self.api.generic("POST", send_path or path, send_body if send_body is not None else body,
                                content_type="application/json", **meta)

    def get(self, path, *, send_path=None, method="GET", **sign):
        meta = self.headers(method, path, b"", **sign)
        return self.api.generic("GET", send_path or path, **meta)


@pytest.fixture
def weibo_client(weibo_credential) -> SignedClient:
    credential, secret = weibo_credential
    return SignedClient(credential.key_id, secret)
