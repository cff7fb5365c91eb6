"""The admin site read in Chinese: field names, column headings, filters, actions and form labels.

The admin builds its words from the models (a field's verbose_name and help_text) and from the ModelAdmins
(display descriptions, action descriptions, fieldset titles); an unmarked one reads English to every reader.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, label_for_field
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

PROJECT_APPS = {"console", "hosts", "programs", "reviews", "distribution", "stats"}
# Words that read the same in Chinese consoles (WeChat's and Alipay's write them in Latin letters too).
SAME_IN_BOTH = {"ID", "AppID", "URL", "Logo"}


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _reads_in_chinese(text) -> bool:
    text = str(text).strip().rstrip(":：")
    return _is_chinese(text) or text in SAME_IN_BOTH


def _project_admins():
    """(model, ModelAdmin) of our apps, and the inlines' models shown on their pages."""
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in PROJECT_APPS:
            yield model, model_admin
            for inline in model_admin.inlines:
                yield inline.model, inline(model, admin.site)


ADMINS = list(_project_admins())
MODELS = list(dict.fromkeys(model for model, _ in ADMINS))


def _shown_fields(model):
    """Fields and many-to-many fields of the model (the reverse relations have no names of their own)."""
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_field_of_an_admin_model_is_named_in_chinese(model):
    with translation.override("zh-hans"):
        english = [f"{field.name}: {field.verbose_name}" for field in _shown_fields(model)
                   if not _reads_in_chinese(field.verbose_name)]
        english += [f"{field.name} (help): {field.help_text}" for field in _shown_fields(model)
                    if field.help_text and not _is_chinese(str(field.help_text))]

    assert english == []


@pytest.mark.parametrize("model, model_admin", ADMINS, ids=[f"{m._meta.label}-{type(a).__name__}" for m, a in ADMINS])
def test_every_heading_action_and_fieldset_of_an_admin_reads_in_chinese(model, model_admin, rf_superuser):
    """Column headings (fields or display callables), filter titles, action descriptions and fieldset titles."""
    with translation.override("zh-hans"):
        form = _form(model_admin, rf_superuser)
        names = [name for name in getattr(model_admin, "list_display", ()) if name != "action_checkbox"]
        names += [name for name in flatten_fieldsets(model_admin.get_fieldsets(rf_superuser))
                  if name not in form.fields or hasattr(model_admin, name)]  # a model field, or a display
        english = [f"{name}: {label}" for name in names
                   if not _reads_in_chinese(label := label_for_field(name, model, model_admin))]
        english += [f"form field {name}: {field.label}" for name, field in form.fields.items()
                    if field.label and not _reads_in_chinese(field.label)]
        actions = model_admin._get_base_actions() if isinstance(model_admin, admin.ModelAdmin) else []
        for func, _name, description in actions:
            text = str(description) % {"verbose_name_plural": model._meta.verbose_name_plural}
            english += [f"action {func.__name__}: {text}"] if not _is_chinese(text) else []
        english += [f"fieldset: {title}" for title, _options in model_admin.get_fieldsets(rf_superuser)
                    if title is not None and not _is_chinese(str(title))]

    assert english == []


def _form(model_admin, request):
    """The add form the admin builds (an inline's: the form of its formset)."""
    if isinstance(model_admin, admin.ModelAdmin):
        return model_admin.get_form(request)()
    return model_admin.get_formset(request).form()


@pytest.fixture
def rf_superuser(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    return request


class _Labels(HTMLParser):
    """The words an admin page names things with: column headings, filter titles, form labels, fieldset
    titles and the actions menu. Data (rows, values) is left out."""

    def __init__(self):
        super().__init__()
        self.labels: list[tuple[str, str]] = []
        self._open: list[tuple[str, str, list[str]]] = []  # (tag, kind, text so far)
        self._in_actions = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "select" and attrs.get("name") == "action":
            self._in_actions = True
        if tag == "details" and attrs.get("data-filter-title"):
            self.labels.append(("filter", attrs["data-filter-title"]))
        kind = None
        if tag == "th" and (attrs.get("scope") == "col" or any(c.startswith("column-") for c in classes)):
            kind = "heading"
        elif tag == "label":
            kind = "label"
        elif tag == "option" and self._in_actions and attrs.get("value"):
            kind = "action"
        elif tag in ("h2", "h3", "h4") and "fieldset-heading" in classes:
            kind = "fieldset"
        if kind:
            self._open.append((tag, kind, []))

    def handle_endtag(self, tag):
        if tag == "select":
            self._in_actions = False
        if self._open and self._open[-1][0] == tag:
            _tag, kind, parts = self._open.pop()
            text = re.sub(r"\s+", " ", "".join(parts)).strip()
            if text:
                self.labels.append((kind, text))

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)


def _labels(page: str) -> list[tuple[str, str]]:
    parser = _Labels()
    parser.feed(page)
    return parser.labels


# What the admin read in English before its words were marked for translation (headings, filters, labels).
ONCE_ENGLISH = ["created at", "Created at", "needs whitelist", "Appid", "Profile", "Dates", "staff groups",
                "Verify the selected organisations", "Revoke the selected credentials", "Position", "Status"]


PAGES = [(model, page) for model in admin.site._registry if model._meta.app_label in PROJECT_APPS
         for page in ("changelist", "add", "change")]


@pytest.fixture
def chinese_admin(admin_client_, superuser, a_row_of_most_models):
    superuser.language = "zh-hans"
    superuser.save(update_fields=["language"])
    return admin_client_


@pytest.mark.parametrize("model, page", PAGES, ids=[f"{model._meta.label}-{page}" for model, page in PAGES])
def test_an_admin_page_read_in_chinese_has_no_english_label(chinese_admin, model, page):
    """Each project model's list, add page and (where the test data has a row) change page."""
    url_name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
    args = []
    if page == "change":
        row = model._default_manager.first()
        if row is None:
            pytest.skip(f"no {model.__name__} row in this test's data")
        args = [row.pk]
    response = chinese_admin.get(reverse(url_name, args=args), follow=True)
    if response.status_code == 403:
        pytest.skip("the admin adds none of these (read-only or made in the portal)")
    page = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="zh-hans"' in page
    labels = _labels(page)
    assert labels, "the page names nothing: the parser no longer finds the admin's labels"
    assert [f"{kind}: {text}" for kind, text in labels if not _reads_in_chinese(text)] == []
    assert [word for word in ONCE_ENGLISH if word in {text.rstrip(":：") for _, text in labels}] == []


def test_the_scene_list_reads_its_rule_in_chinese(chinese_admin):
    """One page's words spelled out, so that a parser finding nothing cannot pass the walk above."""
    page = chinese_admin.get(reverse("admin:hosts_scene_changelist")).content.decode()
    labels = {text for _, text in _labels(page)}

    assert {"需要白名单授权", "宿主平台", "状态", "暂停所选场景（分享校验将在一秒内拒绝）"} <= labels


def test_an_audit_event_lists_its_action_in_the_readers_words(chinese_admin):
    page = chinese_admin.get(reverse("admin:console_auditevent_changelist"), {"q": "api_key.create"}).content.decode()

    assert "已创建 API 密钥" in page


def test_pausing_one_scene_says_one_scene(admin_client_, superuser, db):
    """The action said "1 scenes paused."."""
    from django.contrib.messages import get_messages

    from hosts.models import Scene

    scene = Scene.objects.filter(status=Scene.Status.ACTIVE).first()
    response = admin_client_.post(reverse("admin:hosts_scene_changelist"),
                                  {"action": "pause", "_selected_action": [scene.pk]})

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 scene paused."]
