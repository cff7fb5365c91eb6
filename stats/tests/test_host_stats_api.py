"""A host's stats in the API, for its operators: the host dashboard's numbers, as JSON."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from console.roles import Role, scopes_for_role
from console.services import api_key_create
from stats.models import GateDaily
from stats.tests.conftest import operate

URL = "/api/v1/distribution/hosts/weibo/stats/"


@pytest.fixture
def weibo_operator(outsider):
    operate(outsider)
    client = APIClient()
    client.force_authenticate(outsider)
    return client


def test_an_operator_reads_the_numbers_the_host_dashboard_shows(weibo_operator, traffic, outsider, client_for):
    from django.utils import timezone

    GateDaily.objects.create(day=timezone.localdate(), host="weibo", scene="weibo.private_message",
                             appid=traffic.appid, allowed=False, reason="share_cap", count=4)

    answer = weibo_operator.get(URL, {"granularity": "week"})

    assert answer.status_code == 200, answer.content
    body = answer.json()
    page = client_for(outsider).get(reverse("host_stats", args=["weibo"]), {"granularity": "week"}).context
    assert body["host"] == "weibo"
    assert (body["range"]["from"], body["range"]["to"]) == (page["start"].isoformat(), page["end"].isoformat())
    assert body["range"]["partial_day"] == timezone.localdate().isoformat()
    assert body["totals"] == {"visits": 2, "new_users": 1, "shares": 1, "share_opens": 1, "payments": 1,
                              "revenue": 9.9}
    assert sum(p["visits"] for p in body["series"]) == 2
    assert [s["scene"] for s in body["scenes"]] == [s["scene"] for s in page["scenes"]]
    assert [(p["appid"], p["visits"], p["revenue"]) for p in body["programs"]] == [(traffic.appid, 2, 9.9)]
    assert body["gate"] == [{"scene": "weibo.private_message", "allowed": False, "reason": "share_cap", "count": 4}]


def test_a_bad_range_is_a_field_error(weibo_operator, traffic):
    response = weibo_operator.get(URL, {"from": "2026-12-02", "to": "2026-11-01"})

    assert response.status_code == 400
    assert "from" in response.json()["error"]["fields"]


def test_another_hosts_operator_a_member_and_an_unknown_host_get_404(traffic, owner, django_user_model):
    from distribution.tests.conftest import make_operator

    alipay_operator = make_operator("ali@platform.test", "alipay")
    for user, url in ((alipay_operator, URL), (alipay_operator, URL.replace("weibo", "no-such-host"))):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get(url).status_code == 404
    member = APIClient()
    member.force_authenticate(owner)  # an organisation's owner operates no host
    assert member.get(URL).status_code == 404


def test_an_organisation_key_gets_403_even_its_owner_operates_the_host(org, owner):
    operate(owner)
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="k", scopes=scopes_for_role(Role.OWNER))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(URL).status_code == 403


def test_anonymous_is_401(db):
    assert APIClient().get(URL).status_code == 401


def test_an_operator_taken_out_of_the_operators_group_gets_404(weibo_operator, outsider, traffic):
    """Found by an attack walk: the host's list of operators alone let someone who left the team read on."""
    from django.contrib.auth.models import Group

    from console.roles import StaffGroup

    assert weibo_operator.get(URL).status_code == 200
    outsider.groups.remove(Group.objects.get(name=StaffGroup.OPERATORS))

    assert weibo_operator.get(URL).status_code == 404
