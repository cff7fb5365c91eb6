"""Fixed-window counters in console/ratelimit.py."""

import pytest
from django.test import RequestFactory

from console.ratelimit import client_ip, rate_limit_exceeded, rate_limit_reset


@pytest.fixture(autouse=True)
def private_cache(settings):
    # Not the shared Redis database: other test processes flush it at every test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "ratelimit-unit-tests"}}
    from django.core.cache import cache

    cache.clear()


def test_hits_up_to_the_limit_pass_and_the_next_is_over():
    results = [rate_limit_exceeded("b", limit=3, window=60) for _ in range(5)]

    assert results == [False, False, False, True, True]


def test_buckets_are_counted_separately():
    for _ in range(3):
        rate_limit_exceeded("first", limit=3, window=60)

    assert rate_limit_exceeded("first", limit=3, window=60) is True
    assert rate_limit_exceeded("second", limit=3, window=60) is False


def test_reset_starts_the_count_again():
    for _ in range(4):
        rate_limit_exceeded("b", limit=3, window=60)

    rate_limit_reset("b")

    assert rate_limit_exceeded("b", limit=3, window=60) is False


def test_a_counter_that_vanished_between_add_and_incr_counts_as_the_first_hit(monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    monkeypatch.setattr(LocMemCache, "add", lambda *args, **kwargs: False)  # as if it expired right after `add`

    assert rate_limit_exceeded("b", limit=1, window=60) is False


def test_client_ip_is_the_socket_address():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "198.51.100.7"


def test_the_wait_is_the_rest_of_the_window_once_over(time_machine):
    from console.ratelimit import rate_limit_wait

    time_machine.move_to("2025-03-01 10:00:00", tick=False)
    assert [rate_limit_wait("w", limit=2, window=3600) for _ in range(2)] == [0, 0]
    time_machine.move_to("2025-03-01 10:20:00", tick=False)
    assert rate_limit_wait("w", limit=2, window=3600) == 40 * 60
