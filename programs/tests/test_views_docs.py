"""The finding-codes page (/docs/findings/): every registered code, grouped by family, readable signed out."""

from django.urls import reverse

from programs.scanning.codes import FINDING_CODES
from programs.views.docs import FAMILY_ORDER, CodeDoc, _doc


def test_the_page_lists_every_code_with_an_anchor_and_is_public(client, db):
    response = client.get(reverse("finding_codes"))

    html = response.content.decode()
    assert response.status_code == 200
    assert len(FINDING_CODES) > 20
    for code in FINDING_CODES:
        assert f'id="{code}"' in html
    assert "Not a zip archive" in html


def test_families_follow_the_documented_order(client, db):
    families = [family for family, _label, _docs in client.get(reverse("finding_codes")).context["families"]]

    known = [f for f in families if f in FAMILY_ORDER]
    assert known == sorted(known, key=FAMILY_ORDER.index)
    assert families[:2] == ["archive", "structure"]


def test_severity_badges_and_backticks_become_code(client, db):
    html = client.get(reverse("finding_codes")).content.decode()

    assert 'class="badge sev sev-error"' in html
    assert "<code>.zip</code>" in html, "`backticked` words in explanations render as code"


def test_explanations_are_escaped():
    doc = CodeDoc("x.y", "error", "t", "<script>alert(1)</script> use `<b>`")

    assert doc.explanation_html == "&lt;script&gt;alert(1)&lt;/script&gt; use <code>&lt;b&gt;</code>"


def test_a_registry_of_plain_tuples_is_read_too():
    doc = _doc("archive.x", ("warning", "Title", "Why"))

    assert (doc.family, doc.severity, doc.title, doc.explanation, doc.weight) == ("archive", "warning", "Title", "Why", 0)


def test_signed_in_members_see_the_page_in_the_shell(client_for, member):
    html = client_for(member).get(reverse("finding_codes")).content.decode()

    assert 'class="sidebar"' in html
    assert 'id="archive.not_zip"' in html


def test_risk_signals_are_documented_with_anchors(client, db):
    from programs.scanning.codes import RISK_SIGNALS

    html = client.get(reverse("finding_codes")).content.decode()

    for code in RISK_SIGNALS:
        assert f'id="{code}"' in html


def test_codes_page_shows_chinese_titles_to_chinese_readers(client):
    body = client.get("/docs/findings/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "个人信息未在隐私保护指引中声明" in body
    assert "<code>privacy.not_in_declaration</code>" in body


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def test_every_code_and_signal_has_a_chinese_explanation_with_balanced_backticks():
    from programs.scanning.codes import RISK_SIGNALS

    for entry in [*FINDING_CODES.values(), *RISK_SIGNALS.values()]:
        assert _is_chinese(entry.explanation_zh), entry.code
        # the page renders `pairs` as <code>: an odd count would leave a stray backtick on the Chinese page
        assert entry.explanation_zh.count("`") % 2 == 0, entry.code
        assert entry.explanation.count("`") == entry.explanation_zh.count("`"), entry.code


def test_codes_page_explains_findings_and_signals_in_chinese_to_chinese_readers(client, db):
    body = client.get(reverse("finding_codes"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "上传的文件不是 zip 文件" in body  # archive.not_zip's explanation
    assert "<code>.zip</code>" in body  # backticks still become code in Chinese
    assert "小程序获取用户的手机号。" in body  # signal.phone_number
    assert "The upload is not a zip file" not in body
    assert "The program asks for the user's phone number." not in body


def test_the_language_cookie_chooses_chinese_too(client, db):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get(reverse("finding_codes"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "压缩包中没有任何文件。请压缩小程序目录本身" in body  # archive.empty


def test_english_readers_keep_the_english_explanations(client, db):
    body = client.get(reverse("finding_codes"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "The upload is not a zip file" in body
    assert "上传的文件不是 zip 文件" not in body
