"""Server-domain allowlist validation (programs/domains.py): pure functions, no database."""

import pytest
from django.core.exceptions import ValidationError

from programs.domains import MAX_DOMAINS_PER_KIND, host_of, normalise_domain, normalise_domain_list


@pytest.mark.parametrize(
    "kind, entry, expected",
    [
        ("request", "https://api.example.com", "https://api.example.com"),
        ("request", "api.example.com", "https://api.example.com"),
        ("request", "  HTTPS://API.Example.COM/  ", "https://api.example.com"),
        ("upload", "https://files.example.com:8443", "https://files.example.com:8443"),
        ("download", "cdn-1.example.co.uk", "https://cdn-1.example.co.uk"),
        ("socket", "wss://live.example.com", "wss://live.example.com"),
        ("socket", "live.example.com:9000", "wss://live.example.com:9000"),
        ("request", "https://api.example.com:443", "https://api.example.com"),
        ("socket", "wss://live.example.com:443/", "wss://live.example.com"),
    ],
)
def test_valid_domains_are_normalised(kind, entry, expected):
    assert normalise_domain(kind, entry) == expected


@pytest.mark.parametrize(
    "kind, entry, message",
    [
        ("request", "http://api.example.com", "must use https://"),
        ("request", "wss://api.example.com", "must use https://"),
        ("socket", "https://live.example.com", "must use wss://"),
        ("socket", "ws://live.example.com", "must use wss://"),
        ("request", "ftp://files.example.com", "must use https://"),
        ("request", "https://10.0.0.1", "is an IP address"),
        ("request", "https://8.8.8.8:443", "is an IP address"),
        ("request", "https://[::1]", "is an IP address"),
        ("request", "https://[2001:db8::1]:8443", "is an IP address"),
        ("request", "https://127.1", "is an IP address"),
        ("request", "https://0x7f.0x1", "is an IP address"),
        ("request", "https://localhost", "not a public domain"),
        ("request", "https://LOCALHOST:8000", "not a public domain"),
        ("request", "https://app.localhost", "not a public domain"),
        ("request", "https://intranet", "not a public domain"),
        ("request", "https://api.example.com/v1", "no path"),
        ("request", "https://api.example.com?x=1", "no path"),
        ("request", "https://api.example.com#top", "no path"),
        ("request", "https://user:pw@api.example.com", "no path"),
        ("request", "https://api.example.com:99999", "invalid port"),
        ("request", "https://-bad-.example.com", "not a valid domain"),
        ("request", "https://under_score.example.com", "not a valid domain"),
        ("request", "https://api.example.com.", "not a valid domain"),
        ("request", "https://", "no host name"),
    ],
)
def test_invalid_domains_are_refused_with_a_reason(kind, entry, message):
    with pytest.raises(ValidationError) as exc:
        normalise_domain(kind, entry)
    assert message in exc.value.messages[0]


def test_a_malformed_ipv6_literal_is_a_validation_error_not_a_crash():
    with pytest.raises(ValidationError):
        normalise_domain("request", "https://[::1")


def test_list_keeps_order_and_skips_blank_entries():
    entries = ["b.example.com", "  ", "https://a.example.com", ""]
    assert normalise_domain_list("request", entries) == ["https://b.example.com", "https://a.example.com"]


def test_list_refuses_duplicates_after_normalisation():
    with pytest.raises(ValidationError) as exc:
        normalise_domain_list("request", ["https://API.example.com", "api.example.com/"])
    assert exc.value.messages == ["“https://api.example.com” is listed twice."]


def test_the_default_port_spelled_out_is_a_duplicate():
    with pytest.raises(ValidationError, match="listed twice"):
        normalise_domain_list("request", ["api.example.com", "https://api.example.com:443"])


def test_same_host_on_another_port_is_not_a_duplicate():
    result = normalise_domain_list("request", ["api.example.com", "api.example.com:8443"])
    assert result == ["https://api.example.com", "https://api.example.com:8443"]


def test_list_reports_every_bad_entry_at_once():
    with pytest.raises(ValidationError) as exc:
        normalise_domain_list("request", ["http://a.example.com", "ok.example.com", "https://localhost"])
    assert len(exc.value.messages) == 2
    assert "a.example.com" in exc.value.messages[0]
    assert "localhost" in exc.value.messages[1]


def test_list_has_a_maximum_length():
    entries = [f"d{i}.example.com" for i in range(MAX_DOMAINS_PER_KIND + 1)]
    with pytest.raises(ValidationError, match="At most 20 request domains"):
        normalise_domain_list("request", entries)
    assert len(normalise_domain_list("request", entries[:-1])) == MAX_DOMAINS_PER_KIND


@pytest.mark.parametrize(
    "entry, host",
    [("https://api.example.com", "api.example.com"), ("wss://live.example.com:9000", "live.example.com:9000")],
)
def test_host_of_strips_the_scheme(entry, host):
    assert host_of(entry) == host
