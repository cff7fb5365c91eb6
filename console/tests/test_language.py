"""The language switch (/accounts/language/): stored on the account and in a cookie."""

from django.conf import settings
from django.test import Client
from django.urls import reverse


def test_switching_to_chinese_is_stored_on_the_user_and_used_on_later_pages(client_for, owner, org):
    client = client_for(owner)
    dashboard = reverse("organisation_dashboard", args=[org.slug])

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": dashboard})

    assert response.status_code == 302
    assert response.url == dashboard
    owner.refresh_from_db()
    assert owner.language == "zh-hans"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get(dashboard)
    assert '<html lang="zh-hans">' in page.content.decode()
    assert page["Content-Language"] == "zh-hans"


def test_the_saved_language_follows_the_user_to_a_new_browser(owner, org):
    owner.language = "zh-hans"
    owner.save()
    browser = Client()  # no language cookie, an English-speaking browser
    browser.force_login(owner)

    page = browser.get(reverse("members", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="zh-hans">' in page.content.decode()


def test_switching_back_to_english(client_for, owner, org):
    owner.language = "zh-hans"
    owner.save()
    client = client_for(owner)

    client.post(reverse("set_language"), {"language": "en"})

    owner.refresh_from_db()
    assert owner.language == "en"
    assert '<html lang="en">' in client.get(reverse("members", args=[org.slug])).content.decode()


def test_an_unknown_language_falls_back_to_the_default(client_for, owner):
    response = client_for(owner).post(reverse("set_language"), {"language": "klingon"})

    owner.refresh_from_db()
    assert owner.language == "en"
    assert response.url == reverse("dashboard")


def test_anonymous_visitors_switch_by_cookie(client, db):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("login")})

    assert response.url == reverse("login")
    assert '<html lang="zh-hans">' in client.get(reverse("login")).content.decode()


def test_an_offsite_next_is_ignored(client, db):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "https://evil.test/"})

    assert response.url == reverse("dashboard")


def test_language_switch_needs_post(client, db):
    assert client.get(reverse("set_language")).status_code == 405


def test_chinese_pages_are_translated(client_for, owner, org):
    owner.language = "zh-hans"
    owner.save()

    html = client_for(owner).get(reverse("members", args=[org.slug])).content.decode()

    assert ">Members</a>" not in html
    assert ">Audit log</a>" not in html
    assert ">成员</a>" in html
    assert ">审计日志</a>" in html


def test_an_account_without_a_language_takes_the_one_it_signs_in_with(owner, org):
    """Demo and invited accounts had none: their notifications were English on Chinese pages."""
    from conftest import PASSWORD

    browser = Client()
    browser.post(reverse("login"), {"username": owner.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    owner.refresh_from_db()
    assert owner.language == "zh-hans"

    Client().post(reverse("login"), {"username": owner.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    owner.refresh_from_db()
    assert owner.language == "zh-hans"  # a language once chosen stays until the switch changes it


def test_chinese_words_that_one_english_word_stood_for_are_told_apart():
    """"Pending" was 待发送 (not sent yet) on a whitelist request; "Open", the review queue's button, was
    开放 (open to all, a scene's state); "2 月" (February) stood for two months."""
    from datetime import datetime, timedelta

    from django.utils import translation
    from django.utils.timesince import timesince
    from django.utils.translation import gettext, pgettext

    from console.models import WebhookDelivery
    from distribution.models import WhitelistRequest

    with translation.override("zh-hans"):
        assert str(WhitelistRequest.Status.PENDING.label) == "待处理"
        assert str(WebhookDelivery.Status.PENDING.label) == "待发送"
        assert pgettext("to open a page", "Open") == "打开"
        assert gettext("Open") == "开放"
        # the queues' and the chains' sentences were joined with English punctuation: "待处理. 最早提交的排在前面。"
        assert (pgettext("between two sentences", ". "), pgettext("between list items", ", ")) == ("。", "，")
        now = datetime(2026, 12, 1)
        assert timesince(now - timedelta(days=65), now).replace("\xa0", " ") == "2 个月"
        assert timesince(now - timedelta(days=4), now).replace("\xa0", " ") == "4 天"



def test_relative_times_read_as_chinese_counts_them():
    """A Chinese walk: naturaltime wrote "1 日前", "1 月前" (a day of the month, a month's name) and "5小时之前"
    beside our "3 天前"."""
    from datetime import timedelta

    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils import timezone, translation

    now = timezone.now()
    with translation.override("zh-hans"):
        said = [naturaltime(now - timedelta(days=1, hours=2)).replace("\xa0", " "),
                naturaltime(now - timedelta(days=40)).replace("\xa0", " "),
                naturaltime(now - timedelta(hours=5)).replace("\xa0", " "),
                naturaltime(now + timedelta(days=4, hours=23, seconds=30)).replace("\xa0", " ")]
    assert said == ["1 天 2 小时前", "1 个月 1 周前", "5 小时前", "4 天 23 小时后"]


def test_a_span_of_two_units_reads_as_chinese_writes_it():
    """A Chinese walk: a grant's end said "4 天，23 小时后", Django's comma between the two parts of timeuntil."""
    from datetime import datetime, timedelta

    from django.template import Context, Template
    from django.utils import translation

    now = datetime(2026, 12, 1)
    template = Template('{% load i18n %}{% blocktranslate with left=end|timeuntil:now %}in {{ left }}{% endblocktranslate %}')
    with translation.override("zh-hans"):
        chinese = template.render(Context({"end": now + timedelta(days=4, hours=23), "now": now}))
    english = template.render(Context({"end": now + timedelta(days=4, hours=23), "now": now}))

    assert chinese.replace("\xa0", " ") == "4 天 23 小时后"
    assert english.replace("\xa0", " ") == "in 4 days, 23 hours"


def test_catalog_names_print_in_the_readers_language(db):
    """"类目 Medical 需要提供资质文件": a category, a host or a list of them printed its English name."""
    from django.utils import translation

    from hosts.models import Host
    from programs.models import Category

    medical, weibo = Category.objects.get(code="medical"), Host.objects.get(code="weibo")
    with translation.override("zh-hans"):
        assert (str(medical), str(weibo)) == (medical.name_zh, weibo.name_zh) != (medical.name, weibo.name)
    with translation.override("en"):
        assert (str(medical), str(weibo)) == (medical.name, weibo.name)


def test_chinese_numbers_are_grouped_by_thousands_as_the_charts_group_them():
    """A card said 9137 and 20579.30 beside a chart axis of 9,000 (the browser's zh-CN)."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    with translation.override("zh-hans"):
        assert (intcomma(9137), floatformat(20579.3, "2g")) == ("9,137", "20,579.30")


def test_names_in_a_list_are_joined_as_the_readers_language_lists_them():
    """A Chinese walk: "公益, 政务民生, 生活服务" (a half-width comma between Chinese names)."""
    from django.template import Context, Template
    from django.utils import translation

    from console.words import list_words

    assert list_words(["a", "b", "c"]) == "a, b, c"
    with translation.override("zh-hans"):
        assert list_words(["公益", "政务民生", "生活服务"]) == "公益、政务民生、生活服务"
        rendered = Template("{% load console_words %}{{ names|list_words }}").render(Context({"names": ["甲", "乙"]}))
    assert rendered == "甲、乙"


def test_audit_values_read_as_words_in_the_readers_language(db):
    """A Chinese walk: "上传方式: cli" and lists joined with a half-width comma in the audit log's changes."""
    from django.utils import translation

    from console.audit_words import field_changes

    with translation.override("zh-hans"):
        [method] = field_changes(None, {"upload_method": "cli"})
        [hosts] = field_changes(None, {"hosts": ["weibo", "alipay"]})
        [every] = field_changes(None, {"approved_hosts": []})
    assert method.after == "CLI"
    assert hosts.after == "微博、支付宝"
    assert every.after == "所有宿主平台", "an approval for no host in particular covers every host, it is not blank"


def test_audit_privacy_declaration_kinds_read_in_the_readers_language(db):
    """A Chinese walk: "Phone number: Sign in to pay at a stall." in a review's events."""
    from django.utils import translation

    from console.audit_words import field_changes

    with translation.override("zh-hans"):
        phone, location = field_changes({"phone_number": "Pay at a stall."}, {"location": "Stalls near you."})
    assert (phone.label, location.label) == ("手机号", "位置信息")
    with translation.override("en"):
        [phone] = field_changes(None, {"phone_number": "Pay at a stall."})
    assert phone.label == "Phone number"


def test_audit_category_codes_read_as_names(db):
    """A Chinese walk: "服务类目: entertainment" in a review's events."""
    from django.utils import translation

    from console.audit_words import field_changes

    with translation.override("zh-hans"):
        [change] = field_changes({"categories": ["tools"]}, {"categories": ["entertainment", "no-such-code"]})
    assert (change.before, change.after) == ("工具", "娱乐、no-such-code")
    [english] = field_changes(None, {"categories": ["entertainment"]})
    assert english.after == "Entertainment"


def test_the_dashboards_api_sentence_ends_with_a_chinese_full_stop(client_for, owner, org):
    """It read "…都能做：API 参考." with an ASCII period after the link."""
    html = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug]),
                                 HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert f'REST API 都能做：<a href="{reverse("api_docs")}">API 参考</a>。' in html
