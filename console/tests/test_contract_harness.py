"""The contract harness itself: credentials by path prefix, and the host signature ready for host operations."""

import hashlib
import hmac

import pytest
import requests

from console.tests import contract
from console.tests.contract import BearerKey, ContractWorld, HostSignature, StaffSession, credentials_for

WORLD = ContractWorld(org_key="mpk_org", reviewer_session="sess")


def test_each_operation_gets_the_credentials_of_its_kind_of_caller():
    assert isinstance(credentials_for("/api/v1/programs/{appid}/", WORLD), BearerKey)
    assert isinstance(credentials_for("/api/v1/reviews/queue/", WORLD), StaffSession)
    with pytest.raises(LookupError):
        credentials_for("/elsewhere/", WORLD)


def test_a_registered_prefix_takes_over_its_operations(monkeypatch):
    monkeypatch.setattr(contract, "CREDENTIALS", dict(contract.CREDENTIALS))
    contract.register_credentials("/api/v1/hosts/", lambda world: HostSignature("hk_1", "s3cret"))

    assert isinstance(credentials_for("/api/v1/hosts/{host}/events/", WORLD), HostSignature)
    assert isinstance(credentials_for("/api/v1/programs/", WORLD), BearerKey)


def test_the_host_signature_signs_timestamp_method_path_query_and_body_as_the_spec_says():
    request = requests.Request("POST", "http://testserver/api/v1/hosts/weibo/share-checks/?a=1",
                               json={"appid": "1"}).prepare()

    HostSignature("hk_1", "s3cret", clock=lambda: 1_700_000_000)(request)

    signed = b"1700000000\nPOST\n/api/v1/hosts/weibo/share-checks/?a=1\n" + request.body
    expected = "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Host-Key"] == "hk_1"
    assert request.headers["X-Host-Timestamp"] == "1700000000"
    assert request.headers["X-Host-Signature"] == expected
