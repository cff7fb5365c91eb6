"""What the page walk (bench/walk.py) found: pages that showed codes, English on Chinese pages, or had no way in."""

from django.urls import reverse

from console.audit_words import field_changes
from console.services import audit_record
from distribution.tests.conftest import make_operator


def test_the_program_form_explains_the_name_rule_in_the_readers_language(client_for, owner, org):
    owner.language = "zh-hans"
    owner.save()

    page = client_for(owner).get(reverse("program_create", args=[org.slug])).content.decode()

    assert "个字符，在已上线的小程序中不可重名。" in page
    assert "unique among live mini-programs" not in page


def test_distribution_fields_of_the_audit_log_have_words(client_for, owner, org, settings):
    changes = field_changes(None, {"share_window_seconds": 3600, "rollout_percent": 50, "renewal_of": None})
    assert [c.label for c in changes] == ["Share window (seconds)", "Rollout %", "Renewal of"]

    owner.language = "zh-hans"
    owner.save()
    audit_record(action="grant.create", target=org, actor=owner, organisation=org, after={"daily_cap": 10})
    page = client_for(owner).get(reverse("audit_log", args=[org.slug])).content.decode()
    assert "每日上限" in page and "Daily cap" not in page


def test_operators_find_their_hosts_statistics_in_the_menu(client_for, db):
    operator = make_operator("oona@platform.test", "weibo")

    page = client_for(operator).get(reverse("distribution_queue")).content.decode()

    assert f'href="{reverse("host_stats", args=["weibo"])}"' in page
    assert reverse("host_stats", args=["alipay"]) not in page
