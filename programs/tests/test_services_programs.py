"""program_create / program_update / qualification_add / missing_qualifications (programs/services.py)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from console.models import AuditEvent
from programs import services
from programs.models import MiniProgram, QualificationDocument
from programs.services import (
    QUALIFICATION_MAX_BYTES,
    missing_qualifications,
    program_create,
    program_update,
    qualification_add,
)
from programs.tests.factories import MiniProgramFactory, category, image_bytes


def _create(org, owner, **fields):
    fields.setdefault("name", "City Bikes")
    fields.setdefault("categories", [category("travel")])
    return program_create(org=org, actor=owner, **fields)


def _error(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


# ---------------------------------------------------------------- create


def test_create_generates_a_unique_16_digit_appid(org, owner):
    first = _create(org, owner, name="First One")
    second = _create(org, owner, name="Second One")
    for program in (first, second):
        assert re.fullmatch(r"\d{16}", program.appid)
        assert program.appid.startswith(str(timezone.now().year))
    assert first.appid != second.appid


def test_create_retries_when_the_generated_appid_is_taken(org, owner, monkeypatch):
    taken = MiniProgramFactory(appid="2025000000000001", name="Taken")
    candidates = iter([taken.appid, "2025000000000002"])
    monkeypatch.setattr(services, "_new_appid", lambda: next(candidates))
    assert _create(org, owner).appid == "2025000000000002"


def test_create_stores_the_fields_categories_and_normalised_domains(org, owner):
    program = _create(
        org, owner, name="  City   Bikes ", slogan=" Ride ", categories=[category("travel"), category("tools")],
        domains={"request": ["API.example.com"], "socket": ["wss://ws.example.com"]},
    )
    program.refresh_from_db()
    assert program.name == "City Bikes"
    assert program.slogan == "Ride"
    assert program.organisation == org
    assert program.created_by == owner
    assert sorted(program.categories.values_list("code", flat=True)) == ["tools", "travel"]
    assert program.request_domains == ["https://api.example.com"]
    assert program.socket_domains == ["wss://ws.example.com"]
    assert program.upload_domains == []


def test_create_records_an_audit_event_with_the_after_state(org, owner):
    program = _create(org, owner, domains={"request": ["api.example.com"]})
    event = AuditEvent.objects.get(action="program.create")
    assert (event.organisation, event.actor, event.target_id) == (org, owner, str(program.pk))
    assert event.before is None
    assert event.after["name"] == "City Bikes"
    assert event.after["categories"] == ["travel"]
    assert event.after["request_domains"] == ["https://api.example.com"]


@pytest.mark.parametrize("name", ["ab", "x" * 21, "   ", "  ab  "])
def test_create_refuses_names_outside_3_to_20_characters(org, owner, name):
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, name=name)
    assert _error(exc) == {"name": ["The name must be 3–20 characters."]}
    assert not MiniProgram.objects.exists()


@pytest.mark.parametrize("name", ["abc", "x" * 20])
def test_create_accepts_names_of_3_and_20_characters(org, owner, name):
    assert _create(org, owner, name=name).name == name


def test_create_refuses_a_name_taken_by_a_live_program_in_any_org_ignoring_case(org, owner, other_org):
    MiniProgramFactory(organisation=other_org, name="City Bikes")
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, name="CITY bikes")
    assert list(_error(exc)) == ["name"]
    assert "already called" in _error(exc)["name"][0]


def test_create_may_reuse_the_name_of_a_deleted_program(org, owner):
    MiniProgramFactory(organisation=org, name="City Bikes", deleted_at=timezone.now())
    assert _create(org, owner, name="City Bikes").name == "City Bikes"


def test_a_duplicate_name_that_slips_past_the_check_is_a_validation_error(org, owner, monkeypatch):
    """Two requests both pass the existence check; the database constraint decides, cleanly."""
    _create(org, owner, name="City Bikes")
    monkeypatch.setattr(services, "program_name_clean", lambda name, exclude_pk=None: name)
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, name="city bikes")
    assert list(_error(exc)) == ["name"]
    assert MiniProgram.objects.count() == 1


@pytest.mark.parametrize("count", [0, 5])
def test_create_needs_one_to_four_categories(org, owner, count):
    codes = ["games", "tools", "education", "travel", "social"][:count]
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, categories=[category(c) for c in codes])
    assert _error(exc) == {"categories": ["Choose between 1 and 4 categories."]}


def test_create_counts_a_repeated_category_once(org, owner):
    travel = category("travel")
    program = _create(org, owner, categories=[travel, travel, travel, travel, travel])
    assert list(program.categories.all()) == [travel]


def test_create_refuses_an_inactive_category(org, owner):
    games = category("games")
    games.active = False
    games.save()
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, categories=[games])
    assert _error(exc) == {"categories": ["Not available: Games."]}


def test_create_reports_bad_domains_per_kind(org, owner):
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, domains={"request": ["http://a.example.com"], "socket": ["wss://localhost"]})
    errors = _error(exc)
    assert set(errors) == {"request_domains", "socket_domains"}
    assert "https://" in errors["request_domains"][0]
    assert "not a public domain" in errors["socket_domains"][0]


# ---------------------------------------------------------------- update


@pytest.fixture
def program(org, owner):
    return _create(org, owner, name="City Bikes", slogan="Ride", domains={"request": ["api.example.com"]})


def test_update_changes_fields_and_audits_only_what_changed(program, member):
    program_update(program=program, actor=member, slogan="Ride faster", description="Same", name="City Bikes")
    program.refresh_from_db()
    assert program.slogan == "Ride faster"
    event = AuditEvent.objects.get(action="program.update")
    assert event.actor == member
    assert event.before == {"slogan": "Ride", "description": ""}
    assert event.after == {"slogan": "Ride faster", "description": "Same"}


def test_update_without_a_change_records_no_event(program, owner):
    program_update(program=program, actor=owner, name="City Bikes", categories=[category("travel")])
    assert not AuditEvent.objects.filter(action="program.update").exists()


def test_update_categories_and_domains_are_audited_with_before_and_after(program, owner):
    program_update(program=program, actor=owner, categories=[category("games"), category("tools")],
                   domains={"socket": ["ws.example.com"]})
    event = AuditEvent.objects.get(action="program.update")
    assert event.before == {"categories": ["travel"], "socket_domains": []}
    assert event.after == {"categories": ["games", "tools"], "socket_domains": ["wss://ws.example.com"]}
    program.refresh_from_db()
    assert program.request_domains == ["https://api.example.com"], "kinds not named keep their domains"


def test_update_may_keep_its_own_name_in_another_case(program, owner):
    program_update(program=program, actor=owner, name="CITY BIKES")
    program.refresh_from_db()
    assert program.name == "CITY BIKES"


def test_update_refuses_another_programs_name(program, org, owner):
    other = _create(org, owner, name="Other One")
    with pytest.raises(ValidationError) as exc:
        program_update(program=other, actor=owner, name="city bikes")
    assert list(_error(exc)) == ["name"]
    other.refresh_from_db()
    assert other.name == "Other One"


def test_update_refuses_fields_that_are_not_editable(program, owner):
    with pytest.raises(ValidationError) as exc:
        program_update(program=program, actor=owner, appid="1234567890123456")
    assert _error(exc) == {"appid": ["This field cannot be changed."]}


def test_update_with_a_bad_domain_changes_nothing(program, owner):
    with pytest.raises(ValidationError):
        program_update(program=program, actor=owner, slogan="New", domains={"request": ["https://127.0.0.1"]})
    program.refresh_from_db()
    assert (program.slogan, program.request_domains) == ("Ride", ["https://api.example.com"])


def test_a_rename_racing_another_program_to_the_same_name_is_a_validation_error(program, org, owner, monkeypatch):
    other = _create(org, owner, name="Other One")
    monkeypatch.setattr(services, "program_name_clean", lambda name, exclude_pk=None: name)
    with pytest.raises(ValidationError) as exc:
        program_update(program=other, actor=owner, name="City Bikes")
    assert list(_error(exc)) == ["name"]
    assert MiniProgram.objects.filter(name__iexact="city bikes").count() == 1


# ---------------------------------------------------------------- qualification documents


def _document(data: bytes, name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def shop(org, owner):
    return _create(org, owner, name="Corner Shop", categories=[category("e-commerce"), category("tools")])


def test_missing_qualifications_lists_categories_that_need_a_document(shop):
    assert missing_qualifications(shop) == [category("e-commerce")]


def test_a_category_without_the_need_has_nothing_missing(program):
    assert missing_qualifications(program) == []


@pytest.mark.parametrize(
    "data, ext",
    [(b"%PDF-1.7\n%\xe2\xe3\n", "pdf"), (image_bytes((20, 20)), "png"), (image_bytes((20, 20), fmt="JPEG"), "jpg")],
)
def test_a_pdf_png_or_jpeg_document_is_stored_and_clears_the_missing_category(shop, owner, data, ext):
    document = qualification_add(program=shop, actor=owner, category=category("e-commerce"),
                                 upload=_document(data, "scan.bin"))
    assert document.file.name.startswith(f"qualifications/{shop.appid}/e-commerce-")
    assert document.file.name.endswith(f".{ext}")
    assert document.original_name == "scan.bin"
    with document.file.open("rb") as f:
        assert f.read() == data
    assert missing_qualifications(shop) == []
    event = AuditEvent.objects.get(action="program.qualification_add")
    assert event.after == {"category": "e-commerce", "document": "scan.bin"}


@pytest.mark.parametrize("data", [b"MZ\x90\x00 an executable", b"<html>licence</html>", b"GIF89a...."])
def test_a_document_is_judged_by_its_bytes_not_its_name(shop, owner, data):
    with pytest.raises(ValidationError) as exc:
        qualification_add(program=shop, actor=owner, category=category("e-commerce"),
                          upload=_document(data, "licence.pdf"))
    assert _error(exc) == {"file": ["Upload the document as PDF, PNG or JPEG."]}
    assert not QualificationDocument.objects.exists()


def test_a_document_over_10_mb_is_refused(shop, owner):
    data = b"%PDF-1.7\n" + b"0" * (QUALIFICATION_MAX_BYTES - 8)
    with pytest.raises(ValidationError) as exc:
        qualification_add(program=shop, actor=owner, category=category("e-commerce"), upload=_document(data))
    assert _error(exc) == {"file": ["The document is larger than 10 MB."]}
    assert not QualificationDocument.objects.exists()


def test_a_document_for_a_category_that_needs_none_is_refused(shop, owner):
    with pytest.raises(ValidationError) as exc:
        qualification_add(program=shop, actor=owner, category=category("tools"), upload=_document(b"%PDF-1.7"))
    assert list(_error(exc)) == ["category"]
    assert not QualificationDocument.objects.exists()
