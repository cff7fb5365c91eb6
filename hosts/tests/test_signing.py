"""The signature contract of SPEC §9 "Host calls", pinned by a known-answer vector so it cannot drift."""

import hashlib
import hmac

from hosts import signing

SECRET = "hs_test-secret-for-the-known-answer-vector"
BODY = b'{"appid":"2025000000000001","scene":"weibo.feed","user":"wb-5521093"}'
PATH = "/api/v1/hosts/weibo/share-checks/"
# Also in docs/host-api.md: an integrator checks their code against this.
EXPECTED = "sha256=07987d457f59fafa9ce13e25e786bb113630744fb8e02a22a88470ec0fe11ad7"


def test_the_string_to_sign_is_timestamp_method_path_then_the_raw_body():
    assert signing.string_to_sign(1767225600, "post", PATH, BODY) == (
        b"1767225600\nPOST\n/api/v1/hosts/weibo/share-checks/\n" + BODY)


def test_known_answer_vector():
    assert signing.signature(SECRET, 1767225600, "POST", PATH, BODY) == EXPECTED


def test_the_vector_is_plain_hmac_sha256_of_the_documented_string():
    message = b"1767225600\nPOST\n" + PATH.encode() + b"\n" + BODY
    assert "sha256=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest() == EXPECTED


def test_a_get_with_a_query_signs_the_query_and_an_empty_body():
    value = signing.signature(SECRET, 1767225600, "GET", "/api/v1/hosts/weibo/placements/?scene=weibo.profile&account=42", b"")
    message = b"1767225600\nGET\n/api/v1/hosts/weibo/placements/?scene=weibo.profile&account=42\n"
    assert value == "sha256=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


def test_signed_headers_carry_the_key_the_timestamp_and_the_signature():
    assert signing.signed_headers("hk_1", SECRET, 1767225600, "POST", PATH, BODY) == {
        "X-Host-Key": "hk_1", "X-Host-Timestamp": "1767225600", "X-Host-Signature": EXPECTED}


def test_matching_refuses_any_changed_part():
    good = {"secret": SECRET, "timestamp": "1767225600", "method": "POST", "path": PATH, "body": BODY}
    assert signing.signature_matches(**good, given=EXPECTED)
    for name, other in [("secret", "x"), ("timestamp", "1767225601"), ("method", "PUT"), ("path", PATH + "?a=1"),
                        ("body", BODY + b" ")]:
        assert not signing.signature_matches(**{**good, name: other}, given=EXPECTED), name
    assert not signing.signature_matches(**good, given=EXPECTED.upper())
    assert not signing.signature_matches(**good, given="")
