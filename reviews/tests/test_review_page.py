"""The review page: report, metadata, diff against the last release, history, thread; the next-version link."""

import re

import pytest
from django.urls import reverse

from console.services import audit_record
from programs.tests.factories import MiniProgramFactory
from reviews.models import ReviewMessage
from reviews.services import review_reject
from reviews.tests.factories import (
    DecisionFactory,
    WaitingVersionFactory,
    metadata,
    released_version,
    scan_report,
)

pytestmark = pytest.mark.django_db


def _page(client, version) -> str:
    response = client.get(reverse("review_detail", args=[version.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_reviewer_sees_the_programs_logo_beside_its_name(reviewer_client):
    """A reviewer walk: the logo the developer uploaded was never shown on the review pages."""
    with_logo = WaitingVersionFactory(program=MiniProgramFactory(name="Bike Share", logo="logos/a/large.png",
                                                                 logo_small="logos/a/small.png"))
    without = WaitingVersionFactory(program=MiniProgramFactory(name="Metro Card"))

    head = _page(reviewer_client, with_logo).split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert f'<img class="logo logo-sm" src="{with_logo.program.logo_small.url}" alt=""' in head and "Bike Share" in head
    head = _page(reviewer_client, without).split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert '<span class="logo logo-sm logo-initial" aria-hidden="true">M</span>' in head  # no logo: its initial
    queue = reviewer_client.get(reverse("review_queue")).content.decode()
    assert queue.count('class="logo logo-sm') == 2 and with_logo.program.logo_small.url in queue


def test_first_release_says_so(reviewer_client):
    version = WaitingVersionFactory()
    body = _page(reviewer_client, version)
    assert "First release: nothing of this program has been released yet" in body
    assert "pages/index/index.js" in body
    assert '<details class="diff-files">' in body  # folded: every file is "added", and the report comes after


def test_the_diff_against_the_released_version(reviewer_client):
    program = MiniProgramFactory(name="Diffable")
    released_version(program, version="1.0.0",
                     scan_report=scan_report(files={"app.json": 100, "old.js": 500}, permissions=[]),
                     submitted_metadata=metadata(categories=["tools"]))
    version = WaitingVersionFactory(
        program=program, version="1.1.0",
        scan_report=scan_report(files={"app.json": 100, "new.js": 2048}, permissions=["scope.userLocation"],
                                domains=["api.example.com", "tracker.example.net"]),
        submitted_metadata=metadata(categories=["tools", "games"]))
    body = _page(reviewer_client, version)
    assert "compared with 1.0.0" in body
    assert "+&nbsp;scope.userLocation" in body
    assert "+&nbsp;tracker.example.net" in body
    assert "+&nbsp;Games" in body  # category names, not codes
    assert "new.js" in body and "old.js" in body
    assert '<details class="diff-files" open>' in body
    assert "+2.0\xa0KB" in body  # the added file's size delta


def test_report_metadata_and_history_are_shown(reviewer_client, reviewer):
    program = MiniProgramFactory(name="Shown", privacy_policy_url="https://example.com/privacy")
    version = WaitingVersionFactory(program=program, submit_notes="Log in with the test account",
                                    test_account="demo / 1234", risk_score=42,
                                    scan_report=scan_report(risk=42, warnings=2))
    audit_record(action="version.submit", target=version, actor=None, organisation=program.organisation,
                 after={"status": "in_review", "expedited": False})
    earlier = WaitingVersionFactory(program=program, status="rejected", version="0.1.0")
    DecisionFactory(version=earlier, reviewer=reviewer, kind="reject", text="Crashed at start")
    body = _page(reviewer_client, version)
    assert "Log in with the test account" in body and "demo / 1234" in body
    assert "https://example.com/privacy" in body
    assert 'class="risk risk-medium"' in body and ">42<" in body
    assert "tabbar.icon_dimensions" in body  # the findings
    assert "Submitted for review" in body  # the audit history, in words
    assert "Status:</span> In review" in body and "{'status'" not in body and "<code>version.submit" not in body
    assert "Crashed at start" in body  # earlier decisions on the program


def test_the_thread_and_decided_versions(reviewer_client, reviewer, org, owner):
    version = WaitingVersionFactory(org=org)
    review_reject(version=version, reviewer=reviewer, reasons=["test-account-missing"], text="No login")
    ReviewMessage.objects.create(version=version, author=owner, body="Here it is: a / b")
    body = _page(reviewer_client, version)
    assert "No login" in body and "Here it is: a / b" in body
    assert "Test account missing or not working" in body
    assert "Decided: see the history." in body  # rejected: no decision forms any more


def test_next_skips_the_current_version_and_those_held_by_others(reviewer_client, other_reviewer):
    from reviews.tests.factories import ClaimFactory

    first = WaitingVersionFactory(review_due_at=None)
    held = WaitingVersionFactory()
    ClaimFactory(version=held, reviewer=other_reviewer)
    third = WaitingVersionFactory()
    first.review_due_at = held.review_due_at.replace(year=2000)
    first.save()
    assert reviewer_client.get(reverse("review_next"))["Location"] == reverse("review_detail", args=[first.pk])
    skipped = reviewer_client.get(reverse("review_next"), {"skip": first.pk})
    assert skipped["Location"] == reverse("review_detail", args=[third.pk])
    again = reviewer_client.get(reverse("review_next"), {"skip": third.pk})  # went round: back to the top
    assert again["Location"] == reverse("review_detail", args=[first.pk])


def test_next_follows_the_queue_filters(reviewer_client):
    WaitingVersionFactory()
    fast = WaitingVersionFactory(expedited=True)
    reviewer_client.get(reverse("review_queue"), {"expedited": "on"})
    assert reviewer_client.get(reverse("review_next"))["Location"] == reverse("review_detail", args=[fast.pk])


def test_next_with_an_empty_queue_goes_back_to_the_queue(reviewer_client):
    response = reviewer_client.get(reverse("review_next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("review_queue")
    assert "Nothing else is waiting in the queue." in response.content.decode()


def test_the_page_loads_its_script_and_documents_the_shortcuts(reviewer_client):
    body = _page(reviewer_client, WaitingVersionFactory())
    assert "/static/js/review.js" in body
    assert "Keyboard shortcuts" in body
    assert "<script>" not in body  # the CSP allows no inline script


def test_the_page_in_chinese(reviewer_client, reviewer):
    reviewer.language = "zh-hans"
    reviewer.save()
    version = WaitingVersionFactory()
    body = reviewer_client.get(reverse("review_detail", args=[version.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "缺少测试账号" in body.content.decode()  # rejection reasons have Chinese titles


def test_the_page_in_chinese_names_hosts_and_the_platform_in_chinese(reviewer_client, reviewer):
    """A Chinese walk found "Alipay, Weibo, Taobao …" as the approval's hosts, and "· Platform review" in the
    history."""
    from reviews.services import review_claim, review_request_changes

    reviewer.language = "zh-hans"
    reviewer.save()
    claimed, answered = WaitingVersionFactory(), WaitingVersionFactory()
    review_claim(version=claimed, reviewer=reviewer)
    body = reviewer_client.get(reverse("review_detail", args=[claimed.pk])).content.decode()
    assert 'name="hosts"' in body and "支付宝" in body and "微博" in body
    assert not re.search(r"Alipay|Weibo|Taobao", body)

    review_claim(version=answered, reviewer=reviewer)
    review_request_changes(version=answered, reviewer=reviewer, text="Please add a test account.")
    body = reviewer_client.get(reverse("review_detail", args=[answered.pk])).content.decode()
    assert "平台审核" in body and "Platform review" not in body


def test_the_privacy_declaration_is_shown_against_what_the_code_uses(reviewer_client):
    program = MiniProgramFactory(name="Declares", privacy={"location": "Show the nearest ferry pier",
                                                           "clipboard": "Paste a booking code"})
    report = {**scan_report(), "personal_info": ["location", "camera"]}
    version = WaitingVersionFactory(program=program, scan_report=report)

    body = _page(reviewer_client, version)

    assert "Show the nearest ferry pier" in body and "Paste a booking code" in body
    camera_row = body[body.index(">Camera<"):]
    assert "not declared" in camera_row[:300]  # used by the code, missing from the declaration
    clipboard_row = body[body.index(">Clipboard<"):]
    assert "not used" in clipboard_row[:300]


def test_reviewers_see_the_declaration_submitted_with_the_version_not_a_later_edit(reviewer_client):
    program = MiniProgramFactory(name="Edited", privacy={"location": "Changed after submitting"})
    submitted = {**metadata(), "privacy": {"location": "Stores near you"}}
    version = WaitingVersionFactory(program=program, submitted_metadata=submitted,
                                    scan_report={**scan_report(), "personal_info": ["location"]})

    body = _page(reviewer_client, version)

    assert "Stores near you" in body and "Changed after submitting" not in body


def test_the_decision_form_describes_reasons_in_chinese(client, reviewer):
    from django.conf import settings

    from reviews.models import RejectionReason

    RejectionReason.objects.create(code="admin-added", title="Added by an admin", description="Only in English.")
    client.force_login(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = _page(client, WaitingVersionFactory())

    assert "审核人员无法通过登录。请在提交审核时提供可用的测试账号。" in body  # test-account-missing
    assert "The reviewer could not get past the login." not in body
    assert "Only in English." in body  # a reason without a Chinese description falls back to its own text


def test_earlier_decisions_name_their_hosts(reviewer_client, reviewer):
    """The history listed an approval's hosts by code ("hosts: alipay, weibo")."""
    from reviews.models import ReviewDecision

    version = WaitingVersionFactory()
    ReviewDecision.objects.create(version=version, reviewer=reviewer, kind=ReviewDecision.Kind.APPROVE,
                                  hosts=["alipay", "weibo"])

    history = _page(reviewer_client, version).split('id="history"', 1)[1].split("</section>", 1)[0]

    assert re.search(r"hosts: Alipay(,| and) Weibo", history), history
