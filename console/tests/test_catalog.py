"""The Chinese message catalog: well-formed, compiled, and the admin's model names in Chinese."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import translation

CATALOG = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PROJECT_APPS = {"console", "hosts", "programs", "reviews", "distribution", "stats"}
needs_msgfmt = pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext's msgfmt is not installed")


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


def test_the_admin_names_every_project_model_in_chinese():
    english = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            meta = model._meta
            names = (str(meta.verbose_name), str(meta.verbose_name_plural))
            if meta.app_label in PROJECT_APPS and not all(_is_chinese(name) for name in names):
                english.append(meta.label)
    assert english == []
