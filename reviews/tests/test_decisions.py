"""Decisions: approve (optionally per host), reject with reasons, request changes; the developer's answer."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from console.exceptions import Conflict
from console.models import AuditEvent, Membership, Notification
from console.roles import Role
from programs.models import Version
from programs.releases import version_withdraw
from reviews.models import ReviewClaim, ReviewDecision, ReviewMessage
from reviews.selectors import QueueFilters, claims_held, review_queue
from reviews.services import (
    review_approve,
    review_claim,
    review_message_post,
    review_reject,
    review_request_changes,
)
from reviews.tests.factories import ClaimFactory, WaitingVersionFactory

pytestmark = pytest.mark.django_db
S = Version.Status
Kind = ReviewDecision.Kind


@pytest.fixture
def waiting(org, owner):
    return WaitingVersionFactory(org=org)


def _in_queue(reviewer, version) -> bool:
    return review_queue(reviewer=reviewer, filters=QueueFilters()).filter(pk=version.pk).exists()


# ---------------------------------------------------------------- approve


def test_approve_moves_the_version_to_approved_with_an_audit_event(waiting, reviewer, owner):
    review_claim(version=waiting, reviewer=reviewer)
    decision = review_approve(version=waiting, reviewer=reviewer)
    waiting.refresh_from_db()
    assert waiting.status == S.APPROVED
    assert waiting.approved_hosts == []
    assert (decision.kind, decision.reviewer, decision.automatic) == (Kind.APPROVE, reviewer, False)
    event = AuditEvent.objects.get(action="version.approve", target_id=str(waiting.pk))
    assert event.before == {"status": "in_review"}
    assert event.after["status"] == "approved"
    assert event.actor == reviewer
    assert not ReviewClaim.objects.filter(version=waiting).exists()  # the claim goes with the decision


def test_approve_for_some_hosts_only(waiting, reviewer):
    decision = review_approve(version=waiting, reviewer=reviewer, hosts=["weibo", "alipay"])
    waiting.refresh_from_db()
    assert waiting.approved_hosts == ["alipay", "weibo"]
    assert decision.hosts == ["alipay", "weibo"]


def test_approve_refuses_unknown_hosts(waiting, reviewer):
    with pytest.raises(ValidationError) as exc:
        review_approve(version=waiting, reviewer=reviewer, hosts=["myspace"])
    assert "myspace" in str(exc.value.message_dict["hosts"])
    waiting.refresh_from_db()
    assert waiting.status == S.IN_REVIEW


def test_the_organisation_is_notified_of_the_decision(waiting, reviewer, owner):
    review_approve(version=waiting, reviewer=reviewer, text="Nice work")
    note = Notification.objects.get(user=owner, event="review.decided")
    assert note.title == f"{waiting.program.name} {waiting.version} was approved"
    assert note.body == "Approved for every host platform.\n\nNice work"
    assert note.payload["decision"] == "approve"
    assert note.url == reverse("version_detail", args=[waiting.program.organisation.slug, waiting.program.appid,
                                                       waiting.version])
    assert not Notification.objects.filter(user=reviewer).exists()


# ---------------------------------------------------------------- reject


def test_reject_needs_at_least_one_reason(waiting, reviewer):
    with pytest.raises(ValidationError) as exc:
        review_reject(version=waiting, reviewer=reviewer, reasons=[], text="No.")
    assert exc.value.message_dict["reasons"] == ["Choose at least one reason."]
    waiting.refresh_from_db()
    assert waiting.status == S.IN_REVIEW
    assert not ReviewDecision.objects.exists()


def test_reject_refuses_unknown_or_inactive_reasons(waiting, reviewer):
    with pytest.raises(ValidationError, match="made-up"):
        review_reject(version=waiting, reviewer=reviewer, reasons=["made-up"])


def test_reject_with_reasons_and_text(waiting, reviewer, owner):
    decision = review_reject(version=waiting, reviewer=reviewer, reasons=["privacy-policy-missing", "unstable"],
                             text="  Crashes on the second tab.  ")
    waiting.refresh_from_db()
    assert waiting.status == S.REJECTED
    assert sorted(r.code for r in decision.reasons.all()) == ["privacy-policy-missing", "unstable"]
    assert decision.text == "Crashes on the second tab."
    event = AuditEvent.objects.get(action="version.reject", target_id=str(waiting.pk))
    assert event.after["reasons"] == ["privacy-policy-missing", "unstable"]
    message = ReviewMessage.objects.get(version=waiting)  # the developer reads it in the thread
    assert (message.from_reviewer, message.decision, message.body) == (True, decision, "Crashes on the second tab.")
    note = Notification.objects.get(user=owner)
    assert note.payload["reasons"] == ["privacy-policy-missing", "unstable"]
    # Each reason with what to do about it (the email had the titles alone).
    assert note.body == (
        "Reasons:\n"
        "- Privacy policy missing: The program collects personal information but has no reachable privacy policy. "
        "Add its URL to the program.\n"
        "- Unstable or crashes: The program crashed, froze or showed blank pages during the review."
        "\n\nCrashes on the second tab.")


def test_an_approval_for_some_hosts_names_them_and_says_it_is_limited(waiting, reviewer, owner):
    """A reviewer walk: approved for Alipay and Weibo only, the email said "was approved" and the note, no hosts."""
    review_approve(version=waiting, reviewer=reviewer, hosts=["weibo", "alipay"], text="Nice work")
    note = Notification.objects.get(user=owner, event="review.decided")
    assert note.body == "Approved only for these host platforms: Alipay, Weibo.\n\nNice work"
    assert note.payload["hosts"] == ["alipay", "weibo"]  # codes for webhooks, names for people


def test_the_hosts_of_an_approval_are_named_in_the_recipients_language(waiting, reviewer, owner):
    # Needs the zh_Hans catalog entry for the new sentence.
    owner.language = "zh-hans"
    owner.save()
    review_approve(version=waiting, reviewer=reviewer, hosts=["alipay", "weibo"])
    assert Notification.objects.get(user=owner).body == "审核通过，仅适用于以下宿主平台：支付宝、微博。"


def test_the_decision_is_notified_in_each_recipients_language(waiting, reviewer, owner):
    owner.language = "zh-hans"
    owner.save()
    review_reject(version=waiting, reviewer=reviewer, reasons=["privacy-policy-missing"])
    assert "缺少隐私政策" in Notification.objects.get(user=owner).body


# ---------------------------------------------------------------- request changes and the answer


def test_request_changes_keeps_it_in_review_but_out_of_the_queue(waiting, reviewer, other_reviewer):
    decision = review_request_changes(version=waiting, reviewer=reviewer, text="Send a test account.")
    waiting.refresh_from_db()
    assert waiting.status == S.IN_REVIEW
    assert waiting.awaiting_developer
    assert decision.kind == Kind.REQUEST_CHANGES
    assert not _in_queue(other_reviewer, waiting)
    assert AuditEvent.objects.filter(action="version.awaiting_developer", target_id=str(waiting.pk)).exists()
    assert ReviewMessage.objects.get(version=waiting).body == "Send a test account."


def test_request_changes_needs_a_message(waiting, reviewer):
    with pytest.raises(ValidationError) as exc:
        review_request_changes(version=waiting, reviewer=reviewer, text="   ")
    assert "text" in exc.value.message_dict


def test_the_developers_answer_puts_it_back_in_the_queue(waiting, reviewer, other_reviewer, owner):
    review_request_changes(version=waiting, reviewer=reviewer, text="Send a test account.")
    message = review_message_post(version=waiting, author=owner, body="demo / pass-1234")
    waiting.refresh_from_db()
    assert not message.from_reviewer
    assert not waiting.awaiting_developer
    assert _in_queue(other_reviewer, waiting)
    assert AuditEvent.objects.filter(action="version.developer_answered", target_id=str(waiting.pk)).exists()
    assert Notification.objects.filter(user=reviewer, event="review.message").exists()


def test_the_due_date_resumes_with_the_time_that_was_left(org):
    from reviews.tests.conftest import make_reviewer

    reviewer = make_reviewer("clock@platform.test", "Clock")
    now = timezone.now()
    version = WaitingVersionFactory(org=org, review_due_at=now + timedelta(hours=10))
    owner = org.memberships.get().user
    asked = review_request_changes(version=version, reviewer=reviewer, text="Why the camera?")
    ReviewDecision.objects.filter(pk=asked.pk).update(created_at=now - timedelta(days=2))  # asked two days ago
    review_message_post(version=version, author=owner, body="For scanning QR codes.")
    version.refresh_from_db()
    left = version.review_due_at - timezone.now()
    assert timedelta(days=2, hours=9, minutes=59) < left <= timedelta(days=2, hours=10)


def test_a_second_developer_message_changes_nothing_more(waiting, reviewer, owner):
    review_request_changes(version=waiting, reviewer=reviewer, text="?")
    review_message_post(version=waiting, author=owner, body="one")
    waiting.refresh_from_db()
    due = waiting.review_due_at
    review_message_post(version=waiting, author=owner, body="two")
    waiting.refresh_from_db()
    assert waiting.review_due_at == due
    assert ReviewMessage.objects.filter(version=waiting, from_reviewer=False).count() == 2


def test_the_same_message_sent_twice_in_a_row_is_stored_once(waiting, owner):
    """A double click (or a client retrying after a timeout): the second post answers with the first message."""
    first = review_message_post(version=waiting, author=owner, body="demo / pass-1234")
    again = review_message_post(version=waiting, author=owner, body="  demo / pass-1234 ")
    assert again.pk == first.pk
    assert ReviewMessage.objects.filter(version=waiting).count() == 1


def test_the_same_words_after_the_dedupe_window_are_a_new_message(waiting, owner, settings):
    first = review_message_post(version=waiting, author=owner, body="Still waiting?")
    ReviewMessage.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.REVIEW_MESSAGE_DEDUPE_SECONDS + 1))
    again = review_message_post(version=waiting, author=owner, body="Still waiting?")
    assert again.pk != first.pk
    assert ReviewMessage.objects.filter(version=waiting).count() == 2


def test_reviewer_messages_notify_the_organisation(waiting, reviewer, owner):
    message = review_message_post(version=waiting, author=reviewer, body="Which page shows the map?")
    assert message.from_reviewer
    note = Notification.objects.get(user=owner, event="review.message")
    assert note.body == "Which page shows the map?"
    waiting.refresh_from_db()
    assert not waiting.awaiting_developer


def test_outsiders_cannot_post_to_the_thread(waiting, outsider):
    with pytest.raises(PermissionDenied):
        review_message_post(version=waiting, author=outsider, body="hello")


# ---------------------------------------------------------------- who may decide, and when


def test_a_reviewer_cannot_decide_while_another_holds_the_claim(waiting, reviewer, other_reviewer):
    ClaimFactory(version=waiting, reviewer=other_reviewer)
    with pytest.raises(Conflict, match="Sam Second is reviewing this version"):
        review_approve(version=waiting, reviewer=reviewer)
    waiting.refresh_from_db()
    assert waiting.status == S.IN_REVIEW


def test_deciding_an_already_decided_version_says_who_won(waiting, reviewer, other_reviewer):
    stale = Version.objects.get(pk=waiting.pk)
    review_reject(version=waiting, reviewer=other_reviewer, reasons=["unstable"])
    with pytest.raises(Conflict, match="Sam Second already decided this version \\(rejected at"):
        review_approve(version=stale, reviewer=reviewer)
    assert ReviewDecision.objects.count() == 1


def test_asking_for_changes_twice_is_a_conflict(waiting, reviewer, other_reviewer):
    review_request_changes(version=waiting, reviewer=other_reviewer, text="One")
    with pytest.raises(Conflict):
        review_request_changes(version=waiting, reviewer=reviewer, text="Two")


def test_nobody_decides_while_the_developer_is_asked_for_changes(waiting, reviewer, other_reviewer):
    review_request_changes(version=waiting, reviewer=other_reviewer, text="Which page uses the camera?")
    with pytest.raises(Conflict, match="Sam Second already decided this version \\(changes requested at"):
        review_approve(version=waiting, reviewer=reviewer)
    with pytest.raises(ValidationError, match="waits for its developer's answer"):
        review_claim(version=waiting, reviewer=reviewer)
    waiting.refresh_from_db()
    assert waiting.status == S.IN_REVIEW


def test_a_withdrawn_version_is_no_longer_in_review(waiting, reviewer, owner):
    version_withdraw(version=waiting, actor=owner)
    with pytest.raises(Conflict, match="The developer withdrew this version from review"):
        review_approve(version=waiting, reviewer=reviewer)


def test_withdrawing_ends_the_claim_so_the_resubmission_is_nobodys_yet(waiting, reviewer, owner):
    """A reviewer walk: the claim on a withdrawn version held one of the three slots, and the resubmission
    showed as claimed by the reviewer, from before it was made."""
    review_claim(version=waiting, reviewer=reviewer)

    version_withdraw(version=waiting, actor=owner)

    assert not ReviewClaim.objects.filter(version=waiting).exists()
    assert claims_held(reviewer).count() == 0


def test_a_reviewer_never_decides_on_their_own_organisation(waiting, reviewer, org):
    Membership.objects.create(organisation=org, user=reviewer, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        review_approve(version=waiting, reviewer=reviewer)


# ---------------------------------------------------------------- the page


def test_reject_from_the_page_without_a_reason_shows_the_error(reviewer_client, waiting):
    response = reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                                    {"decision": "reject", "text": "bad"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose at least one reason." in body
    assert 'id="decide-reject" open' in body


def test_a_refused_decision_keeps_what_the_reviewer_typed_and_ticked(reviewer_client, waiting):
    reason = _any_reason_code()
    url = reverse("review_decide", args=[waiting.pk])
    body = reviewer_client.post(url, {"decision": "reject", "text": "utils/wheel.js sends the photo"}).content.decode()
    assert '<textarea id="reject-text" name="text" rows="3">utils/wheel.js sends the photo</textarea>' in body
    response = reviewer_client.post(url, {"decision": "request_changes", "text": "  ", "reasons": [reason]})
    assert response.status_code == 400
    assert f'value="{reason}" checked>' in response.content.decode()
    response = reviewer_client.post(url, {"decision": "approve", "text": "x" * 4001, "hosts": ["weibo"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="weibo" checked>' in body and 'value="alipay">' in body
    assert "x" * 4001 in body


def test_approve_from_the_page_goes_to_the_next_version(reviewer_client, waiting):
    nxt = WaitingVersionFactory()
    response = reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                                    {"decision": "approve", "hosts": ["weibo"]}, follow=True)
    waiting.refresh_from_db()
    assert waiting.status == S.APPROVED and waiting.approved_hosts == ["weibo"]
    assert response.redirect_chain[-1][0] == reverse("review_detail", args=[nxt.pk])
    assert f"Approved {waiting.program.name} {waiting.version}." in response.content.decode()


def test_request_changes_from_the_page(reviewer_client, waiting):
    reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                         {"decision": "request_changes", "text": "Explain the camera.", "reasons": ["unstable"]})
    waiting.refresh_from_db()
    assert waiting.awaiting_developer
    assert [r.code for r in ReviewDecision.objects.get().reasons.all()] == ["unstable"]


def test_a_conflict_on_the_page_is_a_clear_message(reviewer_client, waiting, other_reviewer):
    review_approve(version=waiting, reviewer=other_reviewer)
    response = reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                                    {"decision": "reject", "reasons": ["unstable"]}, follow=True)
    assert "Sam Second already decided this version (approved at" in response.content.decode()


def test_a_conflict_keeps_the_text_to_copy(reviewer_client, waiting, other_reviewer):
    """The form is gone once another reviewer decided; what this one wrote is not (it was a redirect that lost it)."""
    review_approve(version=waiting, reviewer=other_reviewer)
    response = reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                                    {"decision": "reject", "reasons": [_any_reason_code()],
                                     "text": "Three paragraphs <b>of</b> findings"}, follow=True)
    body = response.content.decode()
    assert "Your decision was not saved" in body
    assert "<textarea readonly" in body and "Three paragraphs &lt;b&gt;of&lt;/b&gt; findings</textarea>" in body
    assert 'id="reject-text"' not in body  # decided: no form to fill


def test_deciding_on_a_withdrawn_version_says_it_was_withdrawn_and_lands_on_the_version_url(
        reviewer_client, waiting, owner):
    """A reviewer walk: the panel said "Decided: see the history" though nothing was decided, and the refusal
    was the answer to POST /decide/, so reloading it posted the decision again."""
    version_withdraw(version=waiting, actor=owner)
    response = reviewer_client.post(reverse("review_decide", args=[waiting.pk]),
                                    {"decision": "approve", "text": "Looks fine to me"})
    page = reverse("review_detail", args=[waiting.pk])
    assert response.status_code == 302 and response["Location"] == page + "#decide"

    body = reviewer_client.get(page).content.decode()
    assert "The developer withdrew this version from review; nothing was decided." in body
    assert "Decided: see the history." not in body
    assert "Looks fine to me</textarea>" in body  # kept to copy, once
    assert "Looks fine to me" not in reviewer_client.get(page).content.decode()


def test_message_from_the_page(reviewer_client, waiting):
    response = reviewer_client.post(reverse("review_message", args=[waiting.pk]), {"body": "Hello there"})
    assert response.status_code == 302
    assert ReviewMessage.objects.get(version=waiting).body == "Hello there"


def test_the_organisations_audit_log_names_the_platform_not_the_reviewer(waiting, reviewer, other_reviewer, owner):
    review_request_changes(version=waiting, reviewer=reviewer, text="Add a privacy policy link.")
    review_message_post(version=waiting, author=owner, body="Done.")
    review_reject(version=waiting, reviewer=other_reviewer, reasons=[_any_reason_code()])
    labels = set(AuditEvent.objects.filter(organisation=waiting.program.organisation).values_list("actor_label", flat=True))
    assert reviewer.email not in labels and other_reviewer.email not in labels
    assert "Platform review" in labels
    # Admins still see who it was.
    assert AuditEvent.objects.filter(action="version.reject", actor=other_reviewer).exists()


def _any_reason_code() -> str:
    from reviews.models import RejectionReason

    return RejectionReason.objects.filter(active=True).values_list("code", flat=True).first()


def test_the_scanners_flags_have_canned_reasons_in_both_languages():
    """A reviewer rejecting an obfuscated SDK that calls tracking servers had no reason that fitted."""
    from django.utils import translation

    from reviews.models import RejectionReason

    reasons = {r.code: r for r in RejectionReason.objects.filter(active=True)}
    assert {"obfuscated-code", "undisclosed-tracking", "dynamic-code", "secrets-in-package",
            "insecure-network"} <= set(reasons)
    assert all(r.title_zh and r.description for r in reasons.values())
    with translation.override("zh-hans"):
        assert reasons["dynamic-code"].display_title == "动态执行或下载代码"
        assert reasons["dynamic-code"].display_description.startswith("小程序执行由字符串拼出")
