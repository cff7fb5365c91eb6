"""Every reviews model is in the admin with working list pages; the policy is a single editable row."""

import pytest
from django.urls import reverse

from reviews.models import AutoApprovalPolicy
from reviews.tests.factories import ClaimFactory, DecisionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    from console.tests.factories import UserFactory

    client.force_login(UserFactory(email="root@platform.test", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["rejectionreason", "reviewclaim", "reviewdecision", "reviewmessage",
                                   "autoapprovalpolicy", "autoapprovalevaluation"])
def test_changelists_load_with_search(admin_client, reviewer, model):
    ClaimFactory(reviewer=reviewer)
    DecisionFactory(reviewer=reviewer)
    response = admin_client.get(reverse(f"admin:reviews_{model}_changelist"), {"q": "x"})
    assert response.status_code == 200


def test_rejection_reasons_are_seeded_and_editable(admin_client):
    response = admin_client.get(reverse("admin:reviews_rejectionreason_changelist"))
    body = response.content.decode()
    assert "Privacy policy missing" in body and "缺少隐私政策" in body


def test_the_policy_can_be_edited_but_not_added_twice_or_deleted_and_add_leads_to_it(admin_client):
    policy = AutoApprovalPolicy.current()
    url = reverse("admin:reviews_autoapprovalpolicy_change", args=[policy.pk])
    response = admin_client.post(url, {"enabled": "on", "dry_run": "on", "max_risk_score": 15,
                                       "min_prior_releases": 1})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.enabled, policy.dry_run, policy.max_risk_score, policy.require_verified_org) == (
        True, True, 15, False)
    assert admin_client.get(reverse("admin:reviews_autoapprovalpolicy_add")).url == url  # the one policy opens
    assert admin_client.post(reverse("admin:reviews_autoapprovalpolicy_add"), {"max_risk_score": 99}).url == url
    assert AutoApprovalPolicy.objects.count() == 1
    assert admin_client.get(reverse("admin:reviews_autoapprovalpolicy_delete", args=[policy.pk])).status_code == 403
