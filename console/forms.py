from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from console.models import Organisation
from console.roles import Role, Scope
from console.text import refuse_invisible_characters


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=120, required=False,
                                validators=[refuse_invisible_characters])
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True}))
    # Django's says both fields "may be case-sensitive"; the email is not (LiHua@Example.CN signs in).
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct email address and password. Note that the password is "
                           "case-sensitive."),
    }

    def clean_username(self):
        # Accounts are stored with lower-case emails (EmailUserManager, user_sign_up).
        return self.cleaned_data["username"].lower()


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind"]
        help_texts = {"kind": _("Enterprise organisations can be verified, which some categories and scenes require.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.verified:  # organisation_update refuses the change too
            for field in self.fields.values():
                field.disabled = True
                field.help_text = ""
            self.fields["kind"].help_text = _("The name and kind were checked when the organisation was verified: "
                                              "ask the platform's administrators to change them.")


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.DEVELOPER)

    def __init__(self, *args, assignable_roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, label) for r, label in Role.choices if r in assignable_roles]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Where the key is used, e.g. “CI pipeline”."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("Tick at least one scope: a key without one can do nothing.")})

    def __init__(self, *args, allowed_scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s, label) for s, label in Scope.choices if s in allowed_scopes]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields; anything else on the form itself."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def error_text(exc: Exception) -> str:
    """A refusal (ValidationError, PermissionDenied, Conflict) as one line for a flash message."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
