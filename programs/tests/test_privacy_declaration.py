"""The privacy declaration: service, API, portal page, the scan checking code against it, the review page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from console.models import AuditEvent
from programs import scans
from programs.models import PrivacyItem, Version
from programs.samples import build_package
from programs.selectors import privacy_declaration
from programs.services import program_set_privacy_declaration
from programs.tests.factories import MiniProgramFactory, VersionFactory, scannable_program

API = "/api/v1/programs/{}/privacy/"


@pytest.fixture
def program(org):
    return scannable_program(org, name="Acme Maps", privacy={})


def test_setting_the_declaration_replaces_it_and_is_audited(program, owner):
    program_set_privacy_declaration(program=program, actor=owner, items={"camera": "Scan receipts"})
    program_set_privacy_declaration(program=program, actor=owner, items={"location": " Nearby stores "})

    assert privacy_declaration(program) == {"location": "Nearby stores"}
    events = AuditEvent.objects.filter(action="program.privacy_declaration").order_by("created_at")
    assert [(e.before, e.after) for e in events] == [
        ({}, {"camera": "Scan receipts"}), ({"camera": "Scan receipts"}, {"location": "Nearby stores"})]


def test_an_unchanged_declaration_writes_no_audit_event(program, owner):
    program_set_privacy_declaration(program=program, actor=owner, items={"camera": "Scan receipts"})
    program_set_privacy_declaration(program=program, actor=owner, items={"camera": "Scan receipts"})

    assert AuditEvent.objects.filter(action="program.privacy_declaration").count() == 1


@pytest.mark.parametrize(("items", "field"), [
    ({"camera": "  "}, "camera"), ({"telepathy": "Read minds"}, "telepathy"), ({"camera": "x" * 201}, "camera"),
])
def test_blank_unknown_or_overlong_lines_are_refused(program, owner, items, field):
    with pytest.raises(ValidationError) as error:
        program_set_privacy_declaration(program=program, actor=owner, items=items)

    assert field in error.value.message_dict
    assert not PrivacyItem.objects.filter(program=program).exists()


# ------------------------------------------------------------------ the scan


def _scan(program, code: str = "") -> Version:
    version = VersionFactory(program=program, package_bytes=build_package("alipay", code=code or "\n"))
    scans.version_scan(version.pk)
    return Version.objects.get(pk=version.pk)


def _errors(version: Version) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in version.scan_report["findings"]:
        if finding["severity"] == "error":
            found.setdefault(finding["code"], []).append(finding)
    return found


def test_code_using_undeclared_personal_information_fails_its_scan(program):
    version = _scan(program, "\nmy.chooseImage({ count: 1 });\n")

    assert version.status == Version.Status.SCAN_FAILED
    kinds = {finding["params"]["kind"] for finding in _errors(version)["privacy.not_in_declaration"]}
    assert kinds == {"location", "album"}
    assert version.scan_report["personal_info"] == ["location", "album"]


def test_a_declaration_listing_what_the_code_uses_lets_the_scan_pass(program, owner):
    program_set_privacy_declaration(program=program, actor=owner, items={
        "location": "Nearby stores", "album": "Attach a photo of the receipt", "camera": "Scan codes"})

    version = _scan(program, "\nmy.chooseImage({ count: 1 });\n")

    assert version.status == Version.Status.READY
    unused = [f for f in version.scan_report["findings"] if f["code"] == "privacy.declaration_unused"]
    assert [f["params"]["kind"] for f in unused] == ["camera"]


# ------------------------------------------------------------------ API


def test_api_reads_and_replaces_the_declaration(client, owner, program):
    client.force_login(owner)
    body = {"items": [{"kind": "camera", "purpose": "Scan receipts"}, {"kind": "location", "purpose": "Stores"}]}

    response = client.put(API.format(program.appid), body, content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json() == {"items": [{"kind": "location", "purpose": "Stores"},
                                         {"kind": "camera", "purpose": "Scan receipts"}]}
    assert client.get(API.format(program.appid)).json() == response.json()


def test_api_refuses_purposes_longer_than_the_model_allows(client, owner, program):
    client.force_login(owner)
    body = {"items": [{"kind": "camera", "purpose": "x" * 201}]}

    response = client.put(API.format(program.appid), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]
    assert privacy_declaration(program) == {}


def test_api_refuses_a_kind_listed_twice(client, owner, program):
    client.force_login(owner)
    body = {"items": [{"kind": "camera", "purpose": "a"}, {"kind": "camera", "purpose": "b"}]}

    assert client.put(API.format(program.appid), body, content_type="application/json").status_code == 400


def test_outsider_gets_404_from_the_declaration_api(client, outsider, program):
    client.force_login(outsider)

    assert client.get(API.format(program.appid)).status_code == 404
    body = {"items": [{"kind": "camera", "purpose": "Spy"}]}
    assert client.put(API.format(program.appid), body, content_type="application/json").status_code == 404
    assert privacy_declaration(program) == {}


# ------------------------------------------------------------------ portal


def test_edit_page_saves_the_declaration_from_its_form(client, owner, program):
    client.force_login(owner)
    url = reverse("program_privacy", args=[program.organisation.slug, program.appid])

    response = client.post(url, {"purpose_location": "Nearby stores", "purpose_camera": ""})

    assert response.status_code == 302
    assert privacy_declaration(program) == {"location": "Nearby stores"}
    page = client.get(reverse("program_detail", args=[program.organisation.slug, program.appid]))
    assert "Nearby stores" in page.content.decode()


def test_outsider_cannot_post_a_declaration(client, outsider, program):
    client.force_login(outsider)
    url = reverse("program_privacy", args=[program.organisation.slug, program.appid])

    assert client.post(url, {"purpose_location": "Spy"}).status_code == 404
    assert privacy_declaration(program) == {}


def test_chinese_interface_shows_chinese_kind_labels(client, owner, org):
    program = MiniProgramFactory(organisation=org, privacy={"phone_number": "登录"})
    client.force_login(owner)

    page = client.get(reverse("program_detail", args=[org.slug, program.appid]), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "手机号" in page.content.decode()


# ------------------------------------------------------------------ findings in the reader's language


def test_report_page_and_api_give_finding_messages_in_the_readers_language(client, owner, program):
    version = _scan(program, "\nmy.chooseImage({ count: 1 });\neval(input);\n")
    client.force_login(owner)
    page_url = reverse("version_detail", args=[program.organisation.slug, program.appid, version.version])
    api_url = f"/api/v1/programs/{program.appid}/versions/{version.version}/"

    english = client.get(page_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    api_zh = client.get(api_url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["report"]

    assert "which the program&#x27;s privacy declaration does not list" in english
    assert "Personal information the code uses" in english and "Photos or videos the user picks" in english
    assert "chooseImage 使用了选中的照片或视频信息，但小程序的用户隐私保护指引中未声明。" in chinese
    messages = {f["code"]: f["message"] for f in api_zh["findings"]}
    assert messages["code.eval"] == "代码将字符串作为代码执行（eval()），宿主禁止这样做。"
    reasons = {item["code"]: item["reason"] for item in api_zh["risk"]["breakdown"]}
    assert reasons["privacy.not_in_declaration"] == "个人信息未在隐私保护指引中声明（2 处）"
    # The stored report keeps the English message; only what is shown changes.
    stored = {f["code"]: f["message"] for f in Version.objects.get(pk=version.pk).scan_report["findings"]}
    assert stored["code.eval"] == "eval() executes a string as code."


def test_submitting_records_the_declaration_with_the_version(owner, program):
    from programs.releases import version_submit

    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Stores near you"})
    version = version_submit(version=_scan(program), actor=owner)
    program_set_privacy_declaration(program=program, actor=owner, items={"location": "Changed after submitting"})

    version.refresh_from_db()
    assert version.submitted_metadata["privacy"] == {"location": "Stores near you"}
