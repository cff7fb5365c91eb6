"""Portal forms for mini-programs and versions.

Forms only shape the input; the rules (name length and uniqueness, 1–4 categories, domain
checks, logo checks, version ordering) live in programs/services.py, whose ValidationErrors
are put back on the fields with `console.forms.add_service_errors`.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from console.text import refuse_invisible_characters
from programs.domains import DOMAIN_KINDS
from programs.models import Category, MiniProgram, PrivacyItem, personal_info_label
from programs.selectors import active_categories
from programs.services import NAME_MAX, NAME_MIN

DOMAIN_HELP = {
    "request": _("One per line, e.g. https://api.example.com. HTTPS only; no IP addresses, no localhost."),
    "upload": _("One per line, e.g. https://upload.example.com. HTTPS only; no IP addresses, no localhost."),
    "download": _("One per line, e.g. https://cdn.example.com. HTTPS only; no IP addresses, no localhost."),
    "socket": _("One per line, e.g. wss://live.example.com. WSS only; no IP addresses, no localhost."),
}
DOMAIN_LABELS = {
    "request": _("request domains"),
    "upload": _("uploadFile domains"),
    "download": _("downloadFile domains"),
    "socket": _("socket domains"),
}


def model_limit(field: str) -> int:
    """A MiniProgram field's max_length: the form, the API and the database share the model's limit."""
    return MiniProgram._meta.get_field(field).max_length


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Category) -> str:
        return obj.display_name


class ProgramForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=60,
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX, "minlength": NAME_MIN, "autocomplete": "off"}),
        # Lazy all the way: `%` on a lazy string would fix the text in the language active at import.
        help_text=lazy(lambda: gettext("%(min)d–%(max)d characters, unique among live mini-programs.")
                       % {"min": NAME_MIN, "max": NAME_MAX}, str)(),
    )
    slogan = forms.CharField(label=_("Slogan"), max_length=model_limit("slogan"), required=False,
                             validators=[refuse_invisible_characters],
                             help_text=_("One line shown under the name, up to 60 characters."))
    description = forms.CharField(label=_("Description"), max_length=model_limit("description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    categories = CategoryChoiceField(
        label=_("Categories"), queryset=Category.objects.none(),
        help_text=_("Choose 1 to 4. Some categories need a qualification document (licence or permit)."),
    )
    privacy_policy_url = forms.URLField(label=_("Privacy policy URL"), required=False, assume_scheme="https",
                                        max_length=model_limit("privacy_policy_url"),
                                        widget=forms.URLInput(attrs={"placeholder": "https://"}),
                                        help_text=_("Optional now; reviewers need it before a version can be submitted."))
    request_domains = forms.CharField(required=False)
    upload_domains = forms.CharField(required=False)
    download_domains = forms.CharField(required=False)
    socket_domains = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = active_categories()
        for kind in DOMAIN_KINDS:
            field = self.fields[f"{kind}_domains"]
            field.label = DOMAIN_LABELS[kind]
            field.help_text = DOMAIN_HELP[kind]
            placeholder = "wss://" if kind == "socket" else "https://"
            field.widget = forms.Textarea(attrs={"rows": 3, "class": "mono", "placeholder": placeholder + "…",
                                                 "spellcheck": "false"})

    @classmethod
    def initial_for(cls, program: MiniProgram) -> dict:
        initial = {f: getattr(program, f) for f in ("name", "slogan", "description", "privacy_policy_url")}
        initial["categories"] = list(program.categories.all())
        for kind, entries in program.domains().items():
            initial[f"{kind}_domains"] = "\n".join(entries)
        return initial

    def domain_fields(self):
        return [self[f"{kind}_domains"] for kind in DOMAIN_KINDS]

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments for program_create / program_update."""
        data = self.cleaned_data
        domains = {kind: _lines(data[f"{kind}_domains"]) for kind in DOMAIN_KINDS}
        fields = {f: data[f] for f in ("name", "slogan", "description", "privacy_policy_url")}
        return {**fields, "categories": list(data["categories"]), "domains": domains}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"), widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("PNG or JPEG, square, at least 180×180 pixels, RGB (not CMYK)."),
    )


class QualificationForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), empty_label=None)
    file = forms.FileField(
        label=_("Document"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/png,image/jpeg"}),
        help_text=_("Licence or permit as PDF, PNG or JPEG, up to 10 MB."),
    )

    def __init__(self, *args, program: MiniProgram, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = program.categories.filter(needs_qualification=True)


class VersionUploadForm(forms.Form):
    package = forms.FileField(
        label=_("Package"), widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    version = forms.CharField(
        label=_("Version"), max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "1.0.0", "autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3,
                                                               "placeholder": _("What changed in this version")}))


class FindingFilterForm(forms.Form):
    SEVERITIES = [("", _("All severities")), ("error", _("Errors")), ("warning", _("Warnings")),
                  ("notice", _("Notices"))]

    severity = forms.ChoiceField(choices=SEVERITIES, required=False)
    q = forms.CharField(required=False, max_length=200)

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["severity"], self.cleaned_data["q"].strip()


# ---------------------------------------------------------------- lifecycle actions (programs/views/releases.py)


class SubmitForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes for the reviewer"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What changed, where to find it, anything unusual")}),
    )
    test_account = forms.CharField(
        label=_("Test account"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("user / password")}),
        help_text=_("A login the reviewer can use inside the mini-program, if it needs one."),
    )
    expedited = forms.BooleanField(label=_("Ask for an expedited review (12 hours)"), required=False)


class ReleaseForm(forms.Form):
    """Release an approved version to everyone, or start a phased release at 1–99 %."""

    EVERYONE, PHASED = "everyone", "phased"
    audience = forms.ChoiceField(
        label=_("Release to"), choices=[(EVERYONE, _("Everyone (100%)")), (PHASED, _("A share of users (phased release)"))],
        widget=forms.RadioSelect, initial=EVERYONE,
    )
    percentage = forms.IntegerField(
        label=_("Percentage of users"), min_value=1, max_value=99, required=False, initial=10,
        widget=forms.NumberInput(attrs={"min": 1, "max": 99, "step": 1, "inputmode": "numeric"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("audience") == self.PHASED and data.get("percentage") is None and "percentage" not in self.errors:
            self.add_error("percentage", _("Give the percentage of users for the phased release (1–99)."))
        return data

    def chosen_percentage(self) -> int:
        return 100 if self.cleaned_data["audience"] == self.EVERYONE else self.cleaned_data["percentage"]


class RaiseForm(forms.Form):
    """Raise a phased release: a preset button (`preset`) or the typed `percentage`."""

    percentage = forms.IntegerField(label=_("Raise to"), min_value=1, max_value=100, required=False,
                                    widget=forms.NumberInput(attrs={"max": 100, "step": 1, "inputmode": "numeric"}))
    preset = forms.IntegerField(min_value=1, max_value=100, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["chosen"] = data.get("preset") or data.get("percentage")
        if data["chosen"] is None:
            raise ValidationError(_("Give the new percentage (up to 100)."))
        return data


class TesterForm(forms.Form):
    email = forms.EmailField(
        label=_("Tester's email address"), max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "tester@example.com", "autocomplete": "off"}),
    )


def form_error_messages(form: forms.Form) -> list[str]:
    """A bound form's errors as sentences for `messages` (field label first)."""
    found = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields and name != "__all__" else ""
        found += [f"{label}: {error}" if label else str(error) for error in errors]
    return found


class PrivacyDeclarationForm(forms.Form):
    """One purpose field per kind of personal information; a blank purpose means "not used"."""

    def __init__(self, *args, items: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        limit = PrivacyItem._meta.get_field("purpose").max_length
        for kind, _label in PrivacyItem.KIND_CHOICES:
            self.fields[f"purpose_{kind}"] = forms.CharField(
                label=personal_info_label(kind), max_length=limit, required=False, initial=(items or {}).get(kind, ""),
                widget=forms.TextInput(attrs={"placeholder": _("not used")}))

    def items(self) -> dict[str, str]:
        return {name.removeprefix("purpose_"): value.strip() for name, value in self.cleaned_data.items()
                if value.strip()}
