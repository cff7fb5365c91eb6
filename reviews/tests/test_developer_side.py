"""The developer's side of the thread: the review panel on their version page and its answer form."""

import pytest
from django.urls import reverse

from reviews.models import ReviewMessage
from reviews.selectors import QueueFilters, review_queue
from reviews.services import review_reject, review_request_changes
from reviews.tests.factories import WaitingVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(org, reviewer):
    version = WaitingVersionFactory(org=org)
    review_request_changes(version=version, reviewer=reviewer, text="Which page uses the camera?",
                           reasons=["undeclared-data-collection"])
    return version


def _version_page(client, version):
    program = version.program
    return client.get(reverse("version_detail", args=[program.organisation.slug, program.appid, version.version]))


def test_the_version_page_shows_the_thread_with_the_reviewer_anonymous(client_for, member, asked):
    body = _version_page(client_for(member), asked).content.decode()
    assert 'id="review-thread"' in body
    assert "Which page uses the camera?" in body
    assert "Undeclared data collection" in body
    assert "your answer puts the version back in the review queue" in body
    assert "Riley" not in body  # reviewers stay anonymous to developers
    assert reverse("review_answer", args=[asked.pk]) in body


def test_no_panel_before_the_first_submission(client_for, member, org):
    version = WaitingVersionFactory(org=org, status="ready", submitted_at=None)
    assert 'id="review-thread"' not in _version_page(client_for(member), version).content.decode()


def test_the_answer_puts_the_version_back_in_the_queue(client_for, member, asked, other_reviewer):
    response = client_for(member).post(reverse("review_answer", args=[asked.pk]), {"body": "The QR scanner."})
    assert response.status_code == 302
    assert response["Location"].endswith("#review-thread")
    asked.refresh_from_db()
    assert not asked.awaiting_developer
    assert review_queue(reviewer=other_reviewer, filters=QueueFilters()).filter(pk=asked.pk).exists()
    assert ReviewMessage.objects.filter(version=asked, from_reviewer=False, author=member).exists()


def test_a_viewer_sees_the_thread_but_cannot_answer(client_for, viewer, asked):
    assert reverse("review_answer", args=[asked.pk]) not in _version_page(client_for(viewer), asked).content.decode()
    assert client_for(viewer).post(reverse("review_answer", args=[asked.pk]), {"body": "hi"}).status_code == 403


def test_outsider_gets_404_on_the_answer(client_for, outsider, asked):
    assert client_for(outsider).post(reverse("review_answer", args=[asked.pk]), {"body": "hi"}).status_code == 404
    assert not ReviewMessage.objects.filter(author=outsider).exists()


def test_a_rejected_version_shows_the_reasons(client_for, member, org, reviewer):
    version = WaitingVersionFactory(org=org)
    review_reject(version=version, reviewer=reviewer, reasons=["privacy-policy-missing"], text="Add the policy.")
    body = _version_page(client_for(member), version).content.decode()
    assert "Privacy policy missing" in body and "Add the policy." in body


def test_an_approved_version_wears_an_approved_badge_not_the_approve_button_word(client_for, member, org, reviewer):
    from reviews.services import review_approve

    version = WaitingVersionFactory(org=org)
    review_approve(version=version, reviewer=reviewer, text="Looks good.")
    body = _version_page(client_for(member), version).content.decode()
    assert ">Approved</span>" in body
    assert ">Approve</span>" not in body


def test_a_rejected_version_wears_a_rejected_badge(client_for, member, org, reviewer):
    version = WaitingVersionFactory(org=org)
    review_reject(version=version, reviewer=reviewer, reasons=["privacy-policy-missing"], text="Add the policy.")
    body = _version_page(client_for(member), version).content.decode()
    assert ">Rejected</span>" in body and ">Reject</span>" not in body


def test_a_rejected_version_describes_the_reasons_in_the_readers_language(client_for, member, org, reviewer):
    version = WaitingVersionFactory(org=org)
    review_reject(version=version, reviewer=reviewer, reasons=["privacy-policy-missing"], text="Add the policy.")
    client = client_for(member)
    program = version.program
    url = reverse("version_detail", args=[program.organisation.slug, program.appid, version.version])

    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "缺少隐私政策" in chinese and "小程序收集个人信息，但没有可访问的隐私政策。" in chinese
    assert "has no reachable privacy policy" in english and "没有可访问的隐私政策" not in english


def test_the_next_version_shows_why_the_last_was_rejected_until_it_is_submitted(client_for, member, org, reviewer):
    """A resubmission's page said nothing of the rejection it was made to answer."""
    from programs.tests.factories import VersionFactory

    rejected = WaitingVersionFactory(org=org, version="2.0.0")
    review_reject(version=rejected, reviewer=reviewer, reasons=["privacy-policy-missing"], text="Add the policy.")
    fixed = VersionFactory(program=rejected.program, version="2.0.1", status="ready")
    client = client_for(member)

    body = _version_page(client, fixed).content.decode()
    assert 'id="previous-rejection"' in body and "Why 2.0.0 was rejected" in body
    assert "Privacy policy missing" in body and "Add the policy." in body

    fixed.submitted_at, fixed.status = rejected.submitted_at, "in_review"
    fixed.save()
    assert 'id="previous-rejection"' not in _version_page(client, fixed).content.decode()  # the thread takes over
