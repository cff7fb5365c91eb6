"""The Chinese message catalog: well-formed, compiled, and the admin's model names in Chinese."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import translation

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PROJECT_APPS = {"console", "hosts", "programs", "reviews", "distribution", "stats"}
needs_msgfmt = pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext's msgfmt is not installed")
needs_xgettext = pytest.mark.skipif(not (shutil.which("xgettext") and shutil.which("msgmerge")),
                                    reason="GNU gettext's xgettext and msgmerge are not installed")


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@needs_msgfmt
def test_the_catalog_passes_msgfmt_check_format(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(CATALOG / "django.po")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


@needs_msgfmt
def test_the_committed_mo_is_compiled_from_the_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOG / "django.po")], check=True)
    with fresh.open("rb") as compiled, (CATALOG / "django.mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog, (
            "run `python manage.py compilemessages --ignore=.venv` and commit the .mo")


def test_the_admin_names_every_app_and_model_in_chinese():
    """Ours and the packages' (django-axes and django-otp ship no Chinese; `console.thirdparty_apps` names them)."""
    english = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            meta = model._meta
            names = (str(meta.app_config.verbose_name), str(meta.verbose_name), str(meta.verbose_name_plural))
            english += [f"{meta.label}: {name}" for name in names if not _is_chinese(name)]
        english += [f"site: {name}" for name in (str(admin.site.site_header), str(admin.site.site_title))
                    if not _is_chinese(name)]
    assert english == []


def test_every_message_is_translated_and_none_is_fuzzy():
    """A fuzzy entry is a guess makemessages made from a similar message: Django never shows it."""
    untranslated, fuzzy = [], []
    for entry in (CATALOG / "django.po").read_text(encoding="utf-8").split("\n\n"):
        lines = entry.strip().splitlines()
        msgid = "".join(line for line in lines if line.startswith(("msgid ", '"')) and "msgstr" not in line)
        if not any(line.startswith("msgid ") for line in lines) or msgid == 'msgid ""' or entry.startswith("#~"):
            continue  # the header, or an obsolete entry
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            fuzzy.append(msgid)
        if any(line in ('msgstr ""', 'msgstr[0] ""') for line in lines) and not _continued(lines):
            untranslated.append(msgid)
    assert (untranslated, fuzzy) == ([], [])


def _continued(lines: list[str]) -> bool:
    """Whether an empty first msgstr line is followed by the text on the next lines (long messages)."""
    for index, line in enumerate(lines):
        if line in ('msgstr ""', 'msgstr[0] ""'):
            return index + 1 < len(lines) and lines[index + 1].startswith('"')
    return False


@needs_xgettext
def test_makemessages_would_neither_add_nor_drop_a_message(tmp_path):
    """The catalogue holds exactly what the code marks for translation.

    A message passed through an alias (`plural = cache(ngettext)`) is invisible to makemessages, which
    then drops its translation the next time the catalogue is regenerated; a new message not yet in
    the catalogue shows in English. Run on a copy of the project, so the committed files stay as they are.
    """
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "screenshots", "__pycache__", "*.png", "*.jpg", "*.zip", "node_modules"))
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--ignore=.venv", "--ignore=var"],
                   cwd=copy, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(copy)})
    committed = _active_messages(CATALOG / "django.po")
    made = _active_messages(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert {"dropped": sorted(committed - made), "added": sorted(made - committed)} == {"dropped": [], "added": []}


def _active_messages(po: Path) -> set[str]:
    """The msgids (with their plural) of the entries that are not obsolete."""
    messages = set()
    for entry in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in entry.strip().splitlines() if not line.startswith("#")]
        text = "\n".join(lines)
        match = re.search(r'^msgid ((?:".*"\n?)+)(?:msgid_plural ((?:".*"\n?)+))?msgstr', text, re.M)
        if match:
            messages.add("".join(re.findall(r'"(.*)"', match.group(1) + (match.group(2) or ""))))
    return messages - {""}


def test_djangos_reworded_password_message_is_in_chinese_too():
    """Django 5.2 reworded it and its own catalog kept the old wording: the sign-up page showed it in English
    between two Chinese errors (console/django_wording.py keeps it in ours)."""
    from django.contrib.auth.password_validation import MinimumLengthValidator
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        MinimumLengthValidator(8).validate("abc")
    assert refused.value.messages == ["密码长度太短。密码必须包含至少 8 个字符。"]


def test_revoking_an_api_key_is_one_word_the_buttons():
    """The catalog said 吊销 in four places and 撤销 (the Revoke button) in the others for the same act."""
    with (CATALOG / "django.mo").open("rb") as committed:
        catalog = gettext.GNUTranslations(committed)._catalog
    key_revocations = {msgid: msgstr for msgid, msgstr in catalog.items()
                       if re.search(r"\bkeys?\b", str(msgid)) and re.search(r"\brevok", str(msgid))}
    assert catalog["Revoke"] == "撤销"
    assert len(key_revocations) >= 5
    assert [msgid for msgid, msgstr in key_revocations.items() if "撤销" not in msgstr or "吊销" in msgstr] == []
