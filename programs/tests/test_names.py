"""Names that impersonate: control, bidi and zero-width characters, Cyrillic look-alikes, fullwidth forms."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.models import MiniProgram
from programs.names import invisible_characters, name_key, skeleton
from programs.services import program_create, program_update
from programs.tests.factories import MiniProgramFactory, category

CYRILLIC_ES = "\u0421"  # С, renders as Latin C


def _create(org, owner, name):
    return program_create(org=org, actor=owner, name=name, categories=[category("tools")])


def _name_error(exc) -> str:
    return " ".join(exc.value.message_dict["name"])


def test_the_tr39_skeleton_folds_look_alikes_onto_their_prototype():
    assert skeleton(f"{CYRILLIC_ES}ity") == skeleton("City")
    assert skeleton("\u0440\u0430ypal") == skeleton("paypal")  # Cyrillic р and а
    assert skeleton("PayPaI") == skeleton("PayPal")  # capital I for small l
    assert skeleton("City") != skeleton("Citz")


def test_the_name_key_meets_across_case_and_compatibility_forms():
    assert name_key("\uff23\uff49\uff54\uff59 Bikes") == name_key("City Bikes")  # fullwidth Ｃｉｔｙ
    assert name_key(f"{CYRILLIC_ES}ity Bikes") == name_key("city bikes")
    assert name_key("骑行单车") == "骑行单车"


def test_a_cyrillic_look_alike_beside_a_live_name_is_refused_naming_the_clash(org, owner, other_org, outsider):
    _create(other_org, outsider, "City Bikes")

    with pytest.raises(ValidationError) as exc:
        _create(org, owner, f"{CYRILLIC_ES}ity Bikes")

    assert _name_error(exc) == (f"“{CYRILLIC_ES}ity Bikes” looks the same as “City Bikes”, another live "
                                "mini-program; choose a name that reads differently.")
    assert MiniProgram.objects.count() == 1


def test_a_fullwidth_name_is_stored_normalised(org, owner):
    program = _create(org, owner, "\uff23\uff49\uff54\uff59\u3000Ｍａｐｓ")

    assert program.name == "City Maps"


def test_a_fullwidth_copy_of_a_live_name_is_refused(org, owner):
    _create(org, owner, "City Maps")

    with pytest.raises(ValidationError) as exc:
        _create(org, owner, "\uff23\uff49\uff54\uff59 Maps")

    assert _name_error(exc) == "Another live mini-program is already called “City Maps”."


@pytest.mark.parametrize("char, label", [
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ("\u200d", "U+200D ZERO WIDTH JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u00ad", "U+00AD SOFT HYPHEN"),
    ("\x07", "U+0007"),
    ("\t", "U+0009"),
    ("\u3164", "U+3164 HANGUL FILLER"),
    ("\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
    ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ("\u1680", "U+1680 OGHAM SPACE MARK"),
])
def test_invisible_and_control_characters_are_refused_by_name(org, owner, char, label):
    with pytest.raises(ValidationError) as exc:
        _create(org, owner, f"City{char}Bikes")

    assert label in _name_error(exc)
    assert not MiniProgram.objects.exists()


def test_ordinary_names_in_any_script_pass():
    assert invisible_characters("骑行单车 Plus") == []
    assert invisible_characters("Café Olé") == []
    assert invisible_characters("Ёлка-Маркет") == []


def test_renaming_to_a_look_alike_is_refused(org, owner):
    _create(org, owner, "City Bikes")
    mine = _create(org, owner, "Town Bikes")

    with pytest.raises(ValidationError) as exc:
        program_update(program=mine, actor=owner, name=f"{CYRILLIC_ES}ity Bikes")

    assert "looks the same as “City Bikes”" in _name_error(exc)
    mine.refresh_from_db()
    assert mine.name == "Town Bikes"


def test_a_deleted_programs_look_alike_name_is_free_again(org, owner):
    old = _create(org, owner, "City Bikes")
    MiniProgram.objects.filter(pk=old.pk).update(deleted_at=timezone.now())

    program = _create(org, owner, f"{CYRILLIC_ES}ity Bikes")

    assert program.name == f"{CYRILLIC_ES}ity Bikes"


def test_the_database_refuses_a_live_look_alike_written_past_the_service(org):
    MiniProgramFactory(organisation=org, name="City Bikes")

    with pytest.raises(IntegrityError), transaction.atomic():
        MiniProgramFactory(organisation=org, name=f"{CYRILLIC_ES}ity Bikes")


def test_the_api_answers_a_look_alike_with_a_field_error(api_with_key, org, other_org, outsider):
    _create(other_org, outsider, "City Bikes")

    response = api_with_key.post("/api/v1/programs/", {"name": f"{CYRILLIC_ES}ity Bikes", "categories": ["tools"]},
                                 format="json")

    assert response.status_code == 400
    assert "looks the same as “City Bikes”" in response.json()["error"]["fields"]["name"][0]


def test_the_admin_site_refuses_a_look_alike_with_a_field_error(client, org, superuser_client):
    MiniProgramFactory(organisation=org, name="City Bikes")
    mine = MiniProgramFactory(organisation=org, name="Town Bikes")
    url = f"/admin/programs/miniprogram/{mine.pk}/change/"
    page = superuser_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if name != "categories"}
    data.update({"name": f"{CYRILLIC_ES}ity Bikes", "categories": [c.pk for c in mine.categories.all()],
                 "qualifications-TOTAL_FORMS": "0", "qualifications-INITIAL_FORMS": "0"})

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    assert "looks the same as “City Bikes”" in str(response.context["adminform"].form.errors["name"])
    mine.refresh_from_db()
    assert mine.name == "Town Bikes"


@pytest.fixture
def superuser_client(client, db):
    from console.tests.factories import UserFactory

    client.force_login(UserFactory(email="root@platform.test", is_staff=True, is_superuser=True))
    return client
