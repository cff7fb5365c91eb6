"""The placements API: which cards a host shows on a profile, topic or lottery now."""

import time
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from distribution.invalidation import GENERATION_KEY
from distribution.tests.gate.helpers import grant_for, placement_for, released_program
from hosts.models import Scene

PLACEMENTS = "/api/v1/hosts/weibo/placements/"


def cards(client, **query):
    from urllib.parse import urlencode

    response = client.get(f"{PLACEMENTS}?{urlencode(query)}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_profile_shows_the_cards_granted_for_that_account(weibo_client):
    program = released_program(name="City Bikes")
    grant = grant_for(program, "weibo.profile")
    placement_for(grant, account_uid="1001", account_name="City official", landing_page="pages/index/index")
    placement_for(grant_for(released_program(), "weibo.profile"), account_uid="2002")

    body = cards(weibo_client, scene="weibo.profile", account="1001")

    assert body["scene"] == "weibo.profile" and body["active"] is True
    assert [(c["appid"], c["name"], c["title"], c["landing_page"]) for c in body["cards"]] == [
        (program.appid, "City Bikes", "City official", "pages/index/index")]
    card = body["cards"][0]
    assert card["logo"] == ""
    assert abs(timezone.datetime.fromisoformat(card["ends_at"]) - grant.valid_until) < timedelta(seconds=1)


def test_a_topic_shows_only_cards_whose_window_is_open_now(weibo_client):
    now = timezone.now()
    live = grant_for(released_program(), "weibo.hot_search")
    placement_for(live, topic="#spring#", title="Spring trip", starts_at=now - timedelta(hours=1),
                  ends_at=now + timedelta(hours=1))
    later = grant_for(released_program(), "weibo.hot_search")
    placement_for(later, topic="#spring#", starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=3))
    over = grant_for(released_program(), "weibo.hot_search")
    placement_for(over, topic="#spring#", starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2))

    body = cards(weibo_client, scene="weibo.hot_search", topic="#spring#")

    assert [c["appid"] for c in body["cards"]] == [live.program.appid]
    assert body["cards"][0]["title"] == "Spring trip"


def test_a_lottery_is_asked_by_its_campaign_id(weibo_client):
    grant = grant_for(released_program(), "weibo.lottery")
    placement_for(grant, topic="lottery-77", landing_page="pages/claim/claim")

    body = cards(weibo_client, scene="weibo.lottery", topic="lottery-77")

    assert [c["landing_page"] for c in body["cards"]] == ["pages/claim/claim"]


def test_revoked_expired_unreleased_and_other_host_programs_show_nothing(weibo_client):
    revoked = grant_for(released_program(), "weibo.profile", status="revoked")
    placement_for(revoked, account_uid="1001")
    expired = grant_for(released_program(), "weibo.profile")
    expired.valid_until = timezone.now() - timedelta(minutes=1)
    expired.save()
    placement_for(expired, account_uid="1001")
    alipay_only = grant_for(released_program(approved_hosts=["alipay"]), "weibo.profile")
    placement_for(alipay_only, account_uid="1001")

    assert cards(weibo_client, scene="weibo.profile", account="1001")["cards"] == []


def test_a_paused_scene_shows_no_cards(weibo_client):
    placement_for(grant_for(released_program(), "weibo.profile"), account_uid="1001")
    Scene.objects.filter(code="weibo.profile").update(status=Scene.Status.PAUSED)

    assert cards(weibo_client, scene="weibo.profile", account="1001") == {
        "scene": "weibo.profile", "active": False, "cards": []}


def test_a_grant_change_reaches_the_cached_answer_through_the_generation(weibo_client):
    program = released_program()
    grant = grant_for(program, "weibo.profile")
    placement_for(grant, account_uid="1001")
    assert len(cards(weibo_client, scene="weibo.profile", account="1001")["cards"]) == 1
    grant.status = "revoked"
    grant.save()
    time.sleep(1.0)

    stale = cards(weibo_client, scene="weibo.profile", account="1001")
    cache.set(GENERATION_KEY, 7)  # what distribution_changed() does once the revocation commits
    time.sleep(1.0)
    fresh = cards(weibo_client, scene="weibo.profile", account="1001")

    assert len(stale["cards"]) == 1  # served from the cache: no query per call
    assert fresh["cards"] == []


def test_the_logo_is_an_absolute_url(weibo_client):
    from django.core.files.base import ContentFile

    from programs.tests.factories import image_bytes

    program = released_program()
    program.logo_small.save("logo-64.png", ContentFile(image_bytes((64, 64))))
    placement_for(grant_for(program, "weibo.profile"), account_uid="1001")

    logo = cards(weibo_client, scene="weibo.profile", account="1001")["cards"][0]["logo"]

    assert logo.startswith("http://testserver/media/logos/") and logo.endswith(".png")


def test_the_query_needs_a_placement_scene_of_this_host_and_one_of_account_or_topic(weibo_client):
    def error(query):
        response = weibo_client.get(f"{PLACEMENTS}?{query}")
        return response.status_code, sorted(response.json()["error"]["fields"])

    assert error("scene=weibo.profile") == (400, ["non_field_errors"])
    assert error("scene=weibo.profile&account=1&topic=2") == (400, ["non_field_errors"])
    assert error("scene=weibo.profile&topic=2") == (400, ["scene"])
    assert error("scene=weibo.feed&account=1") == (400, ["scene"])
    assert error("scene=alipay.hot_search&topic=1") == (400, ["scene"])
    assert error("account=1") == (400, ["scene"])
