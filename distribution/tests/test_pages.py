"""Portal pages: the program's distribution page, the scene catalog, the operators' queue and decision pages."""

import re
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from console.tests.factories import OrganisationFactory
from distribution.models import Grant, WhitelistRequest
from distribution.tests.conftest import grant_scene, program_in, request_scene


def test_the_distribution_page_shows_states_reasons_and_next_actions(client_for, owner, tools_program, operator):
    grant_scene(tools_program, "weibo.profile", owner, operator)
    url = reverse("program_distribution", args=[tools_program.organisation.slug, tools_program.appid])

    page = client_for(owner).get(url).content.decode()

    assert 'data-scene="weibo.feed" data-state="not_eligible"' in page
    assert 'data-reason="not_service_type"' in page
    assert 'data-scene="weibo.profile" data-state="granted"' in page
    assert 'data-scene="weibo.hot_search" data-state="eligible"' in page
    assert reverse("distribution_request_new", args=[tools_program.organisation.slug, tools_program.appid,
                                                     "weibo.hot_search"]) in page


def test_a_viewer_sees_the_page_without_request_buttons(client_for, viewer, service_program):
    url = reverse("program_distribution", args=[service_program.organisation.slug, service_program.appid])

    page = client_for(viewer).get(url).content.decode()

    assert 'data-state="eligible"' in page
    assert "/distribution/request/" not in page


def test_the_program_page_has_the_distribution_card(client_for, owner, service_program):
    url = reverse("program_detail", args=[service_program.organisation.slug, service_program.appid])

    page = client_for(owner).get(url).content.decode()

    assert 'id="distribution-card"' in page
    assert reverse("program_distribution", args=[service_program.organisation.slug, service_program.appid]) in page


def test_the_distribution_cards_counts_use_the_readers_colon(client_for, owner, tools_program):
    """A Chinese walk read "不符合条件: 20": the count followed an ASCII colon."""
    url = reverse("program_detail", args=[tools_program.organisation.slug, tools_program.appid])
    english = client_for(owner).get(url).content.decode()
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])

    chinese = client_for(owner).get(url).content.decode()

    assert re.search(r'class="badge[^"]*">Not eligible: \d+</span>', english)
    assert re.search(r'class="badge[^"]*">不符合条件：\d+</span>', chinese)


def test_the_request_page_offers_withdraw_while_pending(client_for, owner, service_program):
    request = request_scene(service_program, "weibo.profile", owner)
    args = [service_program.organisation.slug, service_program.appid, request.pk]
    client = client_for(owner)

    assert reverse("distribution_request_withdraw", args=args) in client.get(
        reverse("distribution_request", args=args)).content.decode()
    response = client.post(reverse("distribution_request_withdraw", args=args))

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_the_grant_page_shows_the_accounts_and_caps(client_for, owner, service_program, operator):
    grant = grant_scene(service_program, "weibo.profile", owner, operator, share_cap=1, share_window_seconds=3600)

    page = client_for(owner).get(reverse("distribution_grant", args=[
        service_program.organisation.slug, service_program.appid, grant.pk])).content.decode()

    assert "City Daily" in page and "Bike Club" in page
    assert "At most 1 share per program per user per hour." in page


def test_the_scene_catalog_speaks_both_languages(client_for, owner):
    client = client_for(owner)

    english = client.get(reverse("scene_catalog")).content.decode()
    with translation.override("zh-hans"):
        client.cookies["django_language"] = "zh-hans"
        chinese = client.get(reverse("scene_catalog"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "At most 1 share per program per user per hour." in english
    assert "Home feed" in english
    assert "首页信息流" in chinese


def test_a_paused_scene_says_the_platforms_operators_paused_it(client_for, owner):
    """It said "Paused by the host"; the operators pause a scene (the gate's own reason says so)."""
    from hosts.models import Scene

    Scene.objects.filter(code="weibo.profile").update(status=Scene.Status.PAUSED)

    html = client_for(owner).get(reverse("scene_catalog")).content.decode()

    assert "Paused by the platform&#x27;s operators: no program appears here for now." in html
    assert "Paused by the host" not in html


# ---------------------------------------------------------------- operators


def test_non_operators_get_403_on_the_operator_pages(client_for, owner, service_program):
    request = request_scene(service_program, "weibo.profile", owner)
    client = client_for(owner)

    assert client.get(reverse("distribution_queue")).status_code == 403
    assert client.get(reverse("distribution_operator_request", args=[request.pk])).status_code == 403


def test_an_operator_of_another_host_gets_404(client_for, alipay_operator, service_program, owner):
    request = request_scene(service_program, "weibo.profile", owner)

    response = client_for(alipay_operator).get(reverse("distribution_operator_request", args=[request.pk]))

    assert response.status_code == 404


def test_the_queue_is_oldest_first_and_filters_by_scene_and_org(client_for, operator, owner, org):
    older = request_scene(program_in(org, "life-services"), "weibo.profile", owner)
    WhitelistRequest.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    newer = request_scene(program_in(org, "life-services"), "weibo.hot_search", owner)
    client = client_for(operator)

    page = client.get(reverse("distribution_queue")).content.decode()
    filtered = client.get(reverse("distribution_queue"), {"scene": "weibo.hot_search"}).content.decode()
    aged = client.get(reverse("distribution_queue"), {"age": 2}).content.decode()

    assert page.index(f'data-request="{older.pk}"') < page.index(f'data-request="{newer.pk}"')
    assert f'data-request="{older.pk}"' not in filtered and f'data-request="{newer.pk}"' in filtered
    assert f'data-request="{older.pk}"' in aged and f'data-request="{newer.pk}"' not in aged


def test_the_queue_and_the_request_name_the_scene_in_the_readers_language(client_for, operator, owner, org):
    """A Chinese walk: the queue, the request's title and the grants list showed only `weibo.profile`."""
    from hosts.models import Scene

    request = request_scene(program_in(org, "life-services"), "weibo.profile", owner)
    operator.language = "zh-hans"
    operator.save(update_fields=["language"])
    name = Scene.objects.get(code="weibo.profile").name_zh
    client = client_for(operator)

    queue = client.get(reverse("distribution_queue")).content.decode()
    detail = client.get(reverse("distribution_operator_request", args=[request.pk])).content.decode()

    assert name and f'{name} <code class="small">weibo.profile</code>' in queue
    assert f"<title>{request.program.name} → {name}" in detail
    grants = client.get(reverse("distribution_operator_grants")).content.decode()
    assert '<option value="weibo">微博</option>' in queue and '<option value="weibo">微博</option>' in grants


def test_the_request_page_names_the_releases_hosts_in_the_readers_language(client_for, operator, owner, org):
    request = request_scene(program_in(org, "life-services", hosts=("weibo", "alipay")), "weibo.profile", owner)
    operator.language = "zh-hans"
    operator.save(update_fields=["language"])

    detail = client_for(operator).get(reverse("distribution_operator_request", args=[request.pk])).content.decode()

    assert "支付宝、微博" in detail or "微博、支付宝" in detail
    assert "alipay, weibo" not in detail and "weibo, alipay" not in detail


def _fill_queue(owner, n):
    for _ in range(n):
        program = program_in(OrganisationFactory(), "life-services", "travel")
        request_scene(program, "weibo.profile", owner)


def test_the_queue_costs_the_same_queries_for_3_or_30_requests(client_for, operator, owner, settings):
    client = client_for(operator)
    _fill_queue(owner, 3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("distribution_queue")).status_code == 200
    _fill_queue(owner, 27)
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("distribution_queue")).content.decode()

    assert page.count("data-request=") == 30
    assert len(large.captured_queries) == len(small.captured_queries)


def test_an_operator_approves_from_the_decision_page(client_for, operator, owner, service_program):
    request = request_scene(service_program, "weibo.profile", owner)
    client = client_for(operator)
    until = (timezone.localdate() + timedelta(days=30)).isoformat()

    page = client.get(reverse("distribution_operator_request", args=[request.pk])).content.decode()
    response = client.post(reverse("distribution_decide", args=[request.pk]), {
        "decision": "approve", "valid_until": until, "share_cap": "1", "share_window_seconds": "3600",
        "rollout_percent": "100", "p-0-account_uid": "1669879400", "p-0-account_name": "City Daily",
        "p-1-account_uid": "2803301701", "p-1-account_name": "Bike Club"})

    assert 'id="placement-row-template"' in page and "decide.js" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert not {i for i in ids if ids.count(i) > 1}, "one id for the approve and the reject note left one unnamed"
    assert '<label for="id_reject_text"' in page
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = Grant.objects.get(request=request)
    assert (grant.share_cap, grant.share_window_seconds, grant.placements.count()) == (1, 3600, 2)
    last_day = timezone.localtime(grant.valid_until)
    assert (last_day.date().isoformat(), last_day.time()) == (until, time.max), "the whole last day, not to 23:59:00"


def test_the_decision_page_fills_its_date_in_iso_in_chinese_too(client_for, operator, owner, service_program):
    """In Chinese the date was written "2027/03/01", which a date input does not take: it showed empty, and
    approving without touching it failed with "This field is required"."""
    request = request_scene(service_program, "weibo.profile", owner)
    page = client_for(operator).get(reverse("distribution_operator_request", args=[request.pk]),
                                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    field = page.split('name="valid_until"')[1].split(">")[0]
    assert 'value="' in field
    value = field.split('value="')[1].split('"')[0]
    assert date.fromisoformat(value) > timezone.localdate(), field


def test_the_decision_page_keeps_the_rows_and_says_why_when_refused(client_for, operator, owner, service_program):
    request = request_scene(service_program, "weibo.profile", owner)

    response = client_for(operator).post(reverse("distribution_decide", args=[request.pk]), {
        "decision": "approve", "valid_until": (timezone.localdate() + timedelta(days=200)).isoformat(),
        "rollout_percent": "100", "p-0-account_uid": "1669879400", "p-0-account_name": "City Daily"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "at most 90 days" in page
    assert 'value="1669879400"' in page
    assert not Grant.objects.exists()


def test_an_operator_rejects_and_revokes_from_the_pages(client_for, operator, owner, service_program):
    rejected = request_scene(service_program, "weibo.hot_search", owner)
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    client = client_for(operator)

    client.post(reverse("distribution_decide", args=[rejected.pk]), {"decision": "reject", "reason": "scene-rules",
                                                                      "text": "Not now."})
    revoke = client.post(reverse("distribution_operator_grant", args=[grant.pk]), {"reason": "user-complaints"})

    rejected.refresh_from_db()
    grant.refresh_from_db()
    assert (rejected.status, grant.status, revoke.status_code) == ("rejected", "revoked", 302)


@pytest.mark.parametrize("url_name", ["distribution_queue"])
def test_the_nav_shows_the_queue_to_operators_only(client_for, operator, owner, url_name):
    assert reverse(url_name) in client_for(operator).get(reverse("scene_catalog")).content.decode()
    assert reverse(url_name) not in client_for(owner).get(reverse("scene_catalog")).content.decode()


def test_an_operator_changes_a_live_grants_accounts_from_its_page(client_for, operator, owner, service_program):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    client = client_for(operator)

    page = client.get(reverse("distribution_operator_grant", args=[grant.pk])).content.decode()
    crumbs = page.split('class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert f"Whitelist request #{grant.request_id}</a>" in crumbs and not crumbs.rstrip().endswith("/")
    response = client.post(reverse("distribution_operator_placements", args=[grant.pk]), {
        "p-0-account_uid": "1669879400", "p-0-account_name": "City Daily",
        "p-3-account_uid": "77", "p-3-account_name": "Night Riders"})

    assert 'value="2803301701"' in page  # the current accounts, ready to edit
    assert response.status_code == 302
    assert sorted(grant.placements.values_list("account_name", flat=True)) == ["City Daily", "Night Riders"]


def test_an_operator_is_told_of_their_own_organisations_requests_and_offered_no_decision(
        client_for, owner, org, service_program, operator):
    """The demo operator, a member of the demo organisation, saw an empty queue with no word of why, and the
    pages of their own organisation's grants offered revoke and placements forms the service then refused."""
    from console.models import Membership
    from console.roles import Role

    Membership.objects.create(organisation=org, user=operator, role=Role.VIEWER)
    request_scene(service_program, "weibo.profile", owner)
    other = program_in(OrganisationFactory(), "life-services")
    grant = grant_scene(other, "weibo.feed", owner, operator)  # another organisation's: theirs to decide
    own_grant = grant_scene(service_program, "weibo.feed", owner, make_other_operator())
    client = client_for(operator)

    queue = client.get(reverse("distribution_queue")).content.decode()
    assert "1 request from your own organisations is not shown: another operator decides it." in queue

    own_page = client.get(reverse("distribution_operator_grant", args=[own_grant.pk])).content.decode()
    assert f"You are a member of {org.name}: another operator must decide its requests." in own_page
    assert 'id="revoke"' not in own_page
    other_page = client.get(reverse("distribution_operator_grant", args=[grant.pk])).content.decode()
    assert 'id="revoke"' in other_page


def make_other_operator():
    from distribution.tests.conftest import make_operator

    return make_operator("other-weibo@example.com", "weibo")


def test_operators_list_their_hosts_grants_ending_soonest_first(client_for, owner, org, operator, alipay_operator):
    soon = grant_scene(program_in(org, "life-services"), "weibo.feed", owner, operator, days=5)
    later = grant_scene(program_in(org, "life-services"), "weibo.feed", owner, operator, days=25)
    revoked = grant_scene(program_in(org, "life-services"), "weibo.feed", owner, operator, days=20)
    from distribution.services import grant_revoke

    grant_revoke(grant=revoked, operator=operator, reason="placement-not-authorised")
    client = client_for(operator)

    def listed(**params):
        page = client.get(reverse("distribution_operator_grants"), params)
        assert page.status_code == 200
        return [g.pk for g in page.context["page"].object_list]

    assert listed() == [soon.pk, later.pk]
    assert listed(state="expiring") == [soon.pk]
    assert listed(state="ended") == [revoked.pk]
    assert set(listed(state="all")) == {soon.pk, later.pk, revoked.pk}
    assert listed(state="nonsense", host="weibo") == [soon.pk, later.pk]  # a bad choice is ignored
    assert listed(scene="weibo.profile") == []
    assert f'href="{reverse("distribution_operator_grant", args=[soon.pk])}"' in client.get(
        reverse("distribution_operator_grants")).content.decode()
    # Another host's operator sees none of them; anyone else may not look.
    assert [g.pk for g in client_for(alipay_operator).get(
        reverse("distribution_operator_grants")).context["page"].object_list] == []
    assert client_for(owner).get(reverse("distribution_operator_grants")).status_code == 403


def test_an_operator_tightens_a_live_grants_caps_without_revoking_it(
        client_for, operator, owner, service_program, django_capture_on_commit_callbacks):
    """To move a cap or the rollout an operator had to revoke the grant, which told the developer it "can no
    longer appear"."""
    from console.models import AuditEvent, Notification
    from distribution.invalidation import distribution_generation

    grant = grant_scene(service_program, "weibo.profile", owner, operator, rollout_percent=50)
    client = client_for(operator)
    page = client.get(reverse("distribution_operator_grant", args=[grant.pk])).content.decode()
    before = distribution_generation()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("distribution_operator_terms", args=[grant.pk]), {
            "share_cap": "2", "share_window_seconds": "3600", "daily_cap": "5", "rollout_percent": "100"}, follow=True)

    grant.refresh_from_db()
    assert 'id="edit-terms"' in page and 'name="rollout_percent" value="50"' in page
    rule = grant.scene.share_cap
    assert f'max="1000000" placeholder="{"—" if rule is None else rule}" id="id_share_cap"' in page  # the scene's rule
    assert "Caps and rollout saved" in response.content.decode()
    assert (grant.status, grant.share_cap, grant.share_window_seconds, grant.daily_cap, grant.rollout_percent) == (
        "active", 2, 3600, 5, 100)
    assert distribution_generation() == before + 1  # the gate's facts are read afresh
    event = AuditEvent.objects.get(action="grant.terms")
    assert (event.before["rollout_percent"], event.after["rollout_percent"]) == (50, 100)
    notice = Notification.objects.get(user=owner, event="whitelist.changed")
    assert "At most 2 shares per program per user per hour." in notice.body
    assert "Platform" not in notice.body and operator.email not in notice.body


def test_changing_the_terms_of_an_ended_grant_or_another_hosts_is_refused(
        client_for, operator, alipay_operator, owner, service_program):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)
    terms = {"share_cap": "1", "share_window_seconds": "3600", "daily_cap": "", "rollout_percent": "100"}

    other_host = client_for(alipay_operator).post(reverse("distribution_operator_terms", args=[grant.pk]), terms)
    Grant.objects.filter(pk=grant.pk).update(status=Grant.Status.REVOKED)
    ended = client_for(operator).post(reverse("distribution_operator_terms", args=[grant.pk]), terms, follow=True)

    assert other_host.status_code == 404
    assert "This grant is no longer live" in ended.content.decode()
    grant.refresh_from_db()
    assert grant.share_cap is None


def test_a_refused_caps_change_keeps_what_was_typed_with_the_error_beside_its_field(
        client_for, operator, owner, service_program):
    grant = grant_scene(service_program, "weibo.profile", owner, operator)

    response = client_for(operator).post(reverse("distribution_operator_terms", args=[grant.pk]), {
        "share_cap": "3", "share_window_seconds": "3600", "daily_cap": "", "rollout_percent": "300"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'name="share_cap" value="3"' in html and 'name="rollout_percent" value="300"' in html
    assert response.context["terms_form"].errors["rollout_percent"]
    grant.refresh_from_db()
    assert grant.share_cap is None


def test_a_placement_window_past_its_grant_shows_the_grants_end(client_for, owner, operator, service_program):
    """An operator walk: a topic placed until 12-31 on a grant until 12-17 showed 12-31; hosts were told 12-17."""
    start = timezone.now()
    grant = grant_scene(service_program, "weibo.hot_search", owner, operator, days=14, placements=[
        {"topic": "tea-day", "starts_at": start, "ends_at": start + timedelta(days=28), "landing_page": "pages/a"}])

    page = client_for(operator).get(reverse("distribution_operator_grant", args=[grant.pk])).content.decode()

    row = page.split('data-placement="tea-day"', 1)[1].split("</tr>", 1)[0]
    assert timezone.localtime(grant.valid_until).strftime("%Y-%m-%d %H:%M") in row
    assert timezone.localtime(start + timedelta(days=28)).strftime("%Y-%m-%d") not in row
    assert "ends with the grant" in row
