"""Forms of the reviewer pages: they parse input; the rules live in reviews/services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from hosts.models import Host
from programs.models import Category
from reviews.models import RejectionReason, ReviewDecision
from reviews.selectors import SORTS, QueueFilters

SORT_LABELS = {"due": _("Due first"), "risk": _("Highest risk first"), "oldest": _("Oldest submission first")}


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Program"), required=False, max_length=60,
                        widget=forms.TextInput(attrs={"placeholder": _("Name or AppID"), "class": "input"}))
    category = forms.ChoiceField(label=_("Category"), required=False)
    host = forms.ChoiceField(label=_("Host"), required=False)
    risk_min = forms.IntegerField(label=_("Risk from"), required=False, min_value=0,
                                  widget=forms.NumberInput(attrs={"class": "input input-narrow", "placeholder": "0"}))
    risk_max = forms.IntegerField(label=_("Risk to"), required=False, min_value=0,
                                  widget=forms.NumberInput(attrs={"class": "input input-narrow", "placeholder": "∞"}))
    org = forms.CharField(label=_("Organisation"), required=False, max_length=100,
                          widget=forms.TextInput(attrs={"placeholder": _("Name or slug"), "class": "input"}))
    age = forms.IntegerField(label=_("Waiting more than (days)"), required=False, min_value=0, max_value=365,
                             widget=forms.NumberInput(attrs={"class": "input input-narrow"}))
    expedited = forms.BooleanField(label=_("Expedited only"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=[(k, SORT_LABELS[k]) for k in SORTS])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        self.fields["category"].choices = any_ + [(c.code, c.display_name) for c in Category.objects.all()]
        self.fields["host"].choices = any_ + _host_choices()
        for name in ("category", "host", "sort"):
            self.fields[name].widget.attrs["class"] = "input"

    def clean(self):
        data = super().clean()
        low, high = data.get("risk_min"), data.get("risk_max")
        if low is not None and high is not None and low > high:
            self.add_error("risk_max", _("Give a number at least the “Risk from” (%(low)d).") % {"low": low})
            # The range is refused as a whole: applying the lower end alone would filter by half a
            # request the reviewer is being told to correct.
            del self.cleaned_data["risk_min"]
        return data

    def filters(self) -> QueueFilters:
        """The valid filters; an invalid field is ignored (the page shows its error)."""
        self.is_valid()  # fills cleaned_data with the fields that are valid
        data = self.cleaned_data
        return QueueFilters(
            q=data.get("q") or "", category=data.get("category") or "", host=data.get("host") or "",
            risk_min=data.get("risk_min"), risk_max=data.get("risk_max"), org=data.get("org") or "",
            min_age_days=data.get("age"), expedited=bool(data.get("expedited")), sort=data.get("sort") or "due",
        )

    def main_fields(self):
        return [self[name] for name in ("q", "org", "sort")]

    def more_fields(self):
        return [self[name] for name in ("category", "host", "risk_min", "risk_max", "age")]

    @property
    def more_active(self) -> bool:
        """A filter folded under “More filters” is set (so that part opens)."""
        f = self.filters()
        return bool(f.category or f.host or f.risk_min is not None or f.risk_max is not None
                    or f.min_age_days is not None or f.expedited)

    @property
    def active(self) -> bool:
        """A filter narrows the queue (an order alone does not: every version is still listed)."""
        return any(v not in (None, "", False) for k, v in self.filters().__dict__.items() if k != "sort")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.Kind.choices)
    reasons = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    text = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    hosts = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = [(r.code, r.display_title) for r in RejectionReason.objects.filter(active=True)]
        self.fields["hosts"].choices = _host_choices()


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the developer"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _host_choices() -> list[tuple[str, str]]:
    """The active hosts, named in the reader's language (支付宝, not Alipay)."""
    return [(host.code, host.display_name) for host in Host.objects.filter(active=True)]
