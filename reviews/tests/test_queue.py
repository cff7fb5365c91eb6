"""The review queue page and selector: who may see it, its order, its filters and its cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console.models import Membership
from console.roles import Role
from console.tests.factories import OrganisationFactory, UserFactory
from programs.models import Version
from programs.tests.factories import MiniProgramFactory
from reviews.selectors import QueueFilters, review_queue
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory, released_version

pytestmark = pytest.mark.django_db
QUEUE = reverse("review_queue")


def _ids(reviewer, **filters):
    return [v.pk for v in review_queue(reviewer=reviewer, filters=QueueFilters(**filters))]


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_login(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_developer_who_is_not_a_reviewer_gets_403(client_for, member):
    assert client_for(member).get(QUEUE).status_code == 403


def test_a_reviewer_sees_the_queue(reviewer_client):
    version = WaitingVersionFactory(program=MiniProgramFactory(name="Bike Share"))
    response = reviewer_client.get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bike Share" in body and version.version in body
    assert reverse("review_detail", args=[version.pk]) in body


def test_the_sidebar_links_reviewers_to_the_queue(reviewer_client, client_for, member):
    assert f'href="{QUEUE}"' in reviewer_client.get(QUEUE).content.decode()
    assert f'href="{QUEUE}"' not in client_for(member).get(reverse("dashboard"), follow=True).content.decode()


# ---------------------------------------------------------------- what is in it, in which order


def test_default_order_is_due_date_first(reviewer):
    now = timezone.now()
    late = WaitingVersionFactory(review_due_at=now + timedelta(days=2))
    overdue = WaitingVersionFactory(review_due_at=now - timedelta(hours=3))
    soon = WaitingVersionFactory(review_due_at=now + timedelta(hours=5))
    assert _ids(reviewer) == [overdue.pk, soon.pk, late.pk]


def test_sort_by_risk_and_by_submission(reviewer):
    low = WaitingVersionFactory(risk_score=2, age=timedelta(days=1))
    high = WaitingVersionFactory(risk_score=80, age=timedelta(hours=1))
    assert _ids(reviewer, sort="risk") == [high.pk, low.pk]
    assert _ids(reviewer, sort="oldest") == [low.pk, high.pk]


def test_only_versions_in_review_and_not_waiting_for_the_developer(reviewer):
    waiting = WaitingVersionFactory()
    WaitingVersionFactory(awaiting_developer=True)
    WaitingVersionFactory(status=Version.Status.APPROVED)
    WaitingVersionFactory(status=Version.Status.READY)
    assert _ids(reviewer) == [waiting.pk]


def test_a_reviewer_never_sees_their_own_organisations_versions(reviewer):
    own_org = OrganisationFactory()
    Membership.objects.create(organisation=own_org, user=reviewer, role=Role.DEVELOPER)
    WaitingVersionFactory(org=own_org)
    other = WaitingVersionFactory()
    assert _ids(reviewer) == [other.pk]


# ---------------------------------------------------------------- filters


def test_filter_by_program_name_or_appid(reviewer):
    bikes = WaitingVersionFactory(program=MiniProgramFactory(name="Bike Share"))
    WaitingVersionFactory(program=MiniProgramFactory(name="Weather"))
    assert _ids(reviewer, q="bike") == [bikes.pk]
    assert _ids(reviewer, q=bikes.program.appid) == [bikes.pk]


def test_filter_by_category(reviewer):
    game = WaitingVersionFactory(categories=("games", "entertainment"))
    WaitingVersionFactory(categories=("tools",))
    assert _ids(reviewer, category="games") == [game.pk]


def test_filter_by_host_keeps_first_releases_and_updates_covering_the_host(reviewer):
    first = WaitingVersionFactory()
    everywhere = WaitingVersionFactory()
    released_version(everywhere.program, approved_hosts=[])
    on_weibo = WaitingVersionFactory()
    released_version(on_weibo.program, approved_hosts=["alipay", "weibo"])
    alipay_only = WaitingVersionFactory()
    released_version(alipay_only.program, approved_hosts=["alipay"])
    assert set(_ids(reviewer, host="weibo")) == {first.pk, everywhere.pk, on_weibo.pk}
    assert set(_ids(reviewer, host="alipay")) == {first.pk, everywhere.pk, on_weibo.pk, alipay_only.pk}


def test_filter_by_risk_range(reviewer):
    low = WaitingVersionFactory(risk_score=3)
    mid = WaitingVersionFactory(risk_score=30)
    WaitingVersionFactory(risk_score=90)
    WaitingVersionFactory(risk_score=None)
    assert _ids(reviewer, risk_min=10, risk_max=50) == [mid.pk]
    assert _ids(reviewer, risk_max=3) == [low.pk]


def test_filter_by_organisation_name_or_slug(reviewer):
    acme = WaitingVersionFactory(org=OrganisationFactory(name="Acme Apps", slug="acme"))
    WaitingVersionFactory(org=OrganisationFactory(name="Globex", slug="globex"))
    assert _ids(reviewer, org="acme") == [acme.pk]
    assert _ids(reviewer, org="ACME AP") == [acme.pk]


def test_filter_by_age(reviewer):
    old = WaitingVersionFactory(age=timedelta(days=5))
    WaitingVersionFactory(age=timedelta(days=1))
    assert _ids(reviewer, min_age_days=3) == [old.pk]


def test_filter_expedited_only(reviewer):
    fast = WaitingVersionFactory(expedited=True)
    WaitingVersionFactory()
    assert _ids(reviewer, expedited=True) == [fast.pk]


def test_the_page_applies_the_filters_from_the_query_string(reviewer_client):
    fast = WaitingVersionFactory(expedited=True, program=MiniProgramFactory(name="Fast Lane"))
    WaitingVersionFactory(program=MiniProgramFactory(name="Slow Lane"))
    body = reviewer_client.get(QUEUE, {"expedited": "on", "risk_max": "10"}).content.decode()
    assert "Fast Lane" in body and "Slow Lane" not in body
    assert reverse("review_detail", args=[fast.pk]) in body


def test_an_invalid_filter_is_reported_and_ignored(reviewer_client):
    WaitingVersionFactory(program=MiniProgramFactory(name="Still Listed"))
    response = reviewer_client.get(QUEUE, {"risk_min": "lots"})
    assert response.status_code == 200
    assert "Still Listed" in response.content.decode()
    assert "Enter a whole number." in response.content.decode()


# ---------------------------------------------------------------- what a row shows


def test_rows_show_overdue_expedited_and_who_holds_the_claim(reviewer_client, other_reviewer):
    late = WaitingVersionFactory(review_due_at=timezone.now() - timedelta(days=1), expedited=True)
    ClaimFactory(version=late, reviewer=other_reviewer)
    body = reviewer_client.get(QUEUE).content.decode()
    assert "is-overdue" in body and "overdue" in body
    assert "expedited" in body
    assert "Sam Second" in body and 'class="lock"' in body


def test_an_expired_claim_shows_the_version_as_free(reviewer_client, other_reviewer):
    version = WaitingVersionFactory()
    ClaimFactory(version=version, reviewer=other_reviewer, expires_at=timezone.now() - timedelta(minutes=1))
    body = reviewer_client.get(QUEUE).content.decode()
    assert "Sam Second" not in body


# ---------------------------------------------------------------- cost


def _page_queries(client, url) -> int:
    client.get(url)  # the first visit with new filters also saves them in the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_count_does_not_grow_with_page_size(reviewer_client, other_reviewer, settings):
    for n in range(50):
        version = WaitingVersionFactory(categories=("games", "tools"))
        if n % 3 == 0:
            ClaimFactory(version=version, reviewer=other_reviewer)
        if n % 4 == 0:
            released_version(version.program)
    filtered_url = QUEUE + "?category=games&host=weibo&risk_max=50&org=org"
    settings.REVIEW_QUEUE_PAGE_SIZE = 10
    small, small_filtered = _page_queries(reviewer_client, QUEUE), _page_queries(reviewer_client, filtered_url)
    settings.REVIEW_QUEUE_PAGE_SIZE = 50
    large, large_filtered = _page_queries(reviewer_client, QUEUE), _page_queries(reviewer_client, filtered_url)
    assert small == large
    assert small_filtered == large_filtered == large
    assert large <= 20  # session, user, groups, shell, choices, count, claims held, the page


def test_api_query_count_does_not_grow_with_page_size(reviewer_api, other_reviewer):
    for n in range(50):
        version = WaitingVersionFactory()
        if n % 2:
            ClaimFactory(version=version, reviewer=other_reviewer)
    url = reverse("api_review_queue")
    with CaptureQueriesContext(connection) as small:
        assert len(reviewer_api.get(url, {"page_size": 10}).json()["results"]) == 10
    with CaptureQueriesContext(connection) as large:
        assert len(reviewer_api.get(url, {"page_size": 50}).json()["results"]) == 50
    assert len(small.captured_queries) == len(large.captured_queries)


def test_versions_waiting_for_the_developers_answer_are_listed_apart_under_the_queue(reviewer_client, reviewer):
    asked = WaitingVersionFactory(program=MiniProgramFactory(name="Tea House"), awaiting_developer=True)
    waiting = WaitingVersionFactory(program=MiniProgramFactory(name="Bike Share"))
    body = reviewer_client.get(QUEUE).content.decode()
    assert "Waiting for the developer" in body
    waiting_section = body.split('id="awaiting-developer"', 1)[1]
    assert "Tea House" in waiting_section and reverse("review_detail", args=[asked.pk]) in waiting_section
    assert "Bike Share" not in waiting_section
    assert _ids(reviewer) == [waiting.pk]  # still out of the queue proper


def test_the_waiting_list_leaves_out_the_reviewers_own_organisation(reviewer_client, reviewer):
    own = WaitingVersionFactory(program=MiniProgramFactory(name="Own Shop"), awaiting_developer=True)
    Membership.objects.create(user=reviewer, organisation=own.program.organisation, role=Role.DEVELOPER)
    body = reviewer_client.get(QUEUE).content.decode()
    assert "Own Shop" not in body and 'id="awaiting-developer"' not in body


def test_the_waiting_list_follows_the_queues_filters_and_says_when_changes_were_requested(reviewer_client, reviewer,
                                                                                        other_reviewer):
    from reviews.services import review_request_changes

    tea = WaitingVersionFactory(program=MiniProgramFactory(name="Tea House"),
                                submitted_at=timezone.now() - timedelta(days=3))
    WaitingVersionFactory(program=MiniProgramFactory(name="Metro Card"), awaiting_developer=True)
    review_request_changes(version=tea, reviewer=other_reviewer, text="Explain the camera.")
    body = reviewer_client.get(QUEUE, {"q": "Tea"}).content.decode()
    waiting_section = body.split('id="awaiting-developer"', 1)[1]
    assert "Tea House" in waiting_section and "Metro Card" not in waiting_section
    assert "1 version" in waiting_section and "Changes requested" in waiting_section
    assert "0\xa0minutes ago" in waiting_section and "3\xa0days" not in waiting_section  # since the request


def test_a_reversed_risk_range_is_an_error_and_an_order_alone_is_no_filter(reviewer_client):
    WaitingVersionFactory(program=MiniProgramFactory(name="Still Listed"), risk_score=30)
    body = reviewer_client.get(QUEUE, {"risk_min": "50", "risk_max": "10"}).content.decode()
    assert "Give a number at least the “Risk from” (50)." in body
    body = reviewer_client.get(QUEUE, {"sort": "risk"}).content.decode()
    assert "Still Listed" in body and "· filtered" not in body


def test_a_reversed_risk_range_is_left_out_whole(reviewer_client):
    # Like any refused filter: neither end is applied, not just the end that carries the error.
    WaitingVersionFactory(program=MiniProgramFactory(name="Low Risk"), risk_score=5)
    WaitingVersionFactory(program=MiniProgramFactory(name="High Risk"), risk_score=80)
    body = reviewer_client.get(QUEUE, {"risk_min": "20", "risk_max": "10"}).content.decode()
    assert "Give a number at least the “Risk from” (20)." in body
    assert "Low Risk" in body and "High Risk" in body
    assert "· filtered" not in body


def test_a_version_back_after_the_developers_answer_is_marked_answered(reviewer_client, other_reviewer):
    from reviews.services import review_message_post, review_request_changes

    asked = WaitingVersionFactory(program=MiniProgramFactory(name="Tea House"))
    fresh = WaitingVersionFactory(program=MiniProgramFactory(name="Bike Share"))
    developer = UserFactory()
    Membership.objects.create(user=developer, organisation=asked.program.organisation, role=Role.DEVELOPER)
    review_request_changes(version=asked, reviewer=other_reviewer, text="Explain the camera.")
    review_message_post(version=asked, author=developer, body="It scans the stand's QR code.")

    body = reviewer_client.get(QUEUE).content.decode()
    rows = {pk: body.split(f'href="{reverse("review_detail", args=[pk])}"', 1)[1].split("</a>", 1)[0]
            for pk in (asked.pk, fresh.pk)}
    assert "↩ answered" in rows[asked.pk] and "answered" not in rows[fresh.pk]
