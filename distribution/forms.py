"""Forms of the distribution pages: they parse input; the rules live in distribution/services.py."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from distribution.models import CAP_MAX
from distribution.placements import MAX_PLACEMENTS
from distribution.selectors import EXPIRING_DAYS, GrantState, QueueFilters, active_reasons
from hosts.models import Scene
from programs.models import Category

PLACEMENT_FIELDS = ("account_uid", "account_name", "topic", "title", "starts_at", "ends_at", "landing_page")
WINDOWS = [("", _("the scene's window")), (60, _("per minute")), (3600, _("per hour")), (86400, _("per day")),
           (604800, _("per week"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class RequestForm(forms.Form):
    justification = forms.CharField(
        label=_("Why does the program belong in this scene?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who it serves there, what a user gets from the card, how you keep sharing honest."),
    )
    evidence = MultipleFileField(
        label=_("Evidence files"), required=False,
        help_text=_("PDF, PNG or JPEG: licences, agreements with the accounts or campaigns named …"),
    )

    def __init__(self, *args, scene: Scene, **kwargs):
        super().__init__(*args, **kwargs)
        if scene.evidence_required:
            self.fields["evidence"].label = _("Evidence files (required for this scene)")


class QueueFilterForm(forms.Form):
    host = forms.ChoiceField(label=_("Host"), required=False)
    scene = forms.ChoiceField(label=_("Scene"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    org = forms.CharField(label=_("Organisation"), required=False, max_length=100,
                          widget=forms.TextInput(attrs={"placeholder": _("Name or slug"), "class": "input"}))
    age = forms.IntegerField(label=_("Waiting more than (days)"), required=False, min_value=0, max_value=365,
                             widget=forms.NumberInput(attrs={"class": "input input-narrow"}))

    def __init__(self, *args, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        _host_and_scene_choices(self, hosts)
        self.fields["category"].choices = [("", _("Any"))] + [(c.code, c.display_name) for c in Category.objects.all()]
        self.fields["category"].widget.attrs["class"] = "input"

    def filters(self) -> QueueFilters:
        self.is_valid()
        d = self.cleaned_data
        return QueueFilters(host=d.get("host") or "", scene=d.get("scene") or "", category=d.get("category") or "",
                            org=d.get("org") or "", min_age_days=d.get("age"))

    @property
    def active(self) -> bool:
        f = self.filters()
        return bool(f.host or f.scene or f.category or f.org or f.min_age_days is not None)


class ApproveForm(forms.Form):
    # A date input takes only ISO dates: the Chinese format ("2027/03/01") left it empty, and approving failed.
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(
        format="%Y-%m-%d", attrs={"type": "date", "class": "input"}))
    share_cap = forms.IntegerField(label=_("Shares per user"), required=False, min_value=0, max_value=CAP_MAX,
                                   widget=forms.NumberInput(attrs={"class": "input-narrow"}))
    share_window_seconds = forms.TypedChoiceField(label=_("Window"), required=False, choices=WINDOWS, coerce=int,
                                                  empty_value=None)
    daily_cap = forms.IntegerField(label=_("Daily cap"), required=False, min_value=1, max_value=CAP_MAX,
                                   widget=forms.NumberInput(attrs={"class": "input-narrow"}))
    rollout_percent = forms.IntegerField(label=_("Rollout %"), min_value=1, max_value=100,
                                         widget=forms.NumberInput(attrs={"class": "input-narrow"}))
    text = forms.CharField(label=_("Note to the developer (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scene: Scene, **kwargs):
        super().__init__(*args, **kwargs)
        longest = timezone.localdate() + timedelta(days=scene.max_grant_days)
        self.fields["valid_until"].widget.attrs.update(min=timezone.localdate().isoformat(), max=longest.isoformat())
        self.fields["valid_until"].help_text = _("At most %(n)d days in this scene (until %(date)s).") % {
            "n": scene.max_grant_days, "date": longest.isoformat()}

    def service_kwargs(self, post) -> dict:
        d = self.cleaned_data
        end = timezone.make_aware(datetime.combine(d["valid_until"], time.max))  # the whole day, to its last instant
        return {"valid_until": end, "share_cap": d["share_cap"], "share_window_seconds": d["share_window_seconds"],
                "daily_cap": d["daily_cap"], "rollout_percent": d["rollout_percent"], "text": d["text"],
                "placements": placements_from_post(post)}


class GrantTermsForm(forms.Form):
    """A live grant's caps and rollout, changed without revoking it (empty caps: the scene's rule)."""

    share_cap = ApproveForm.base_fields["share_cap"]
    share_window_seconds = ApproveForm.base_fields["share_window_seconds"]
    daily_cap = ApproveForm.base_fields["daily_cap"]
    rollout_percent = ApproveForm.base_fields["rollout_percent"]

    @classmethod
    def for_grant(cls, grant, data=None) -> "GrantTermsForm":
        form = cls(data, initial={name: getattr(grant, name) for name in cls.base_fields})
        # An empty cap is the scene's rule: say what that is where it would be typed.
        for name, rule in (("share_cap", grant.scene.share_cap), ("daily_cap", grant.scene.daily_cap)):
            form.fields[name].widget.attrs["placeholder"] = "—" if rule is None else str(rule)
        return form


class ReasonForm(forms.Form):
    """Reject or revoke: a reason from the catalog plus words for the developer."""

    reason = forms.ChoiceField(label=_("Reason"))
    text = forms.CharField(label=_("Details for the developer"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—")] + [(r.code, r.display_title) for r in active_reasons()]


def placements_from_post(post) -> list[dict]:
    """Rows `p-<n>-<field>` of the decision form (the page's script adds rows; blank rows are dropped later)."""
    rows = []
    for index in range(MAX_PLACEMENTS + 5):
        row = {name: post.get(f"p-{index}-{name}", "") for name in PLACEMENT_FIELDS}
        if any(value.strip() for value in row.values()):
            rows.append(row)
    return rows


class GrantFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Show"), required=False)
    host = forms.ChoiceField(label=_("Host"), required=False)
    scene = forms.ChoiceField(label=_("Scene"), required=False)

    def __init__(self, *args, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            (GrantState.LIVE, _("Live")), (GrantState.EXPIRING, _("Ending within %(days)d days") % {"days": EXPIRING_DAYS}),
            (GrantState.ENDED, _("Expired or revoked")), (GrantState.ALL, _("All"))]
        self.fields["state"].widget.attrs["class"] = "input"
        _host_and_scene_choices(self, hosts)

    def selection(self) -> dict:
        """The selector's keyword arguments; what is not a valid choice is ignored."""
        self.is_valid()
        d = self.cleaned_data
        return {"host": d.get("host") or "", "scene": d.get("scene") or "", "state": d.get("state") or GrantState.LIVE}


def _host_and_scene_choices(form: forms.Form, hosts) -> None:
    """The operator's hosts and their whitelist scenes, each with "Any" first, as styled selects."""
    hosts = list(hosts)
    form.fields["host"].choices = [("", _("Any"))] + [(h.code, h.display_name) for h in hosts]
    scenes = Scene.objects.filter(host__in=hosts, needs_whitelist=True).order_by("host__position", "position")
    form.fields["scene"].choices = [("", _("Any"))] + [(s.code, s.code) for s in scenes]
    for name in ("host", "scene"):
        form.fields[name].widget.attrs["class"] = "input"
