"""Audit events in words for people: one registry of action labels, and before/after as field changes.

Audit actions are stored as stable codes (``version.rollback_from``); pages never show the code or the raw
before/after dicts but `action_label(code)` and `field_changes(before, after)`. Apps add the labels of their
status values with `register_value_labels(SomeModel.Status)` (in their AppConfig.ready).
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.words import list_words

ACTION_LABELS = {
    # accounts and organisations
    "user.sign_up": _("Signed up"),
    "user.email_verify": _("Confirmed the email address"),
    "user.two_factor_enable": _("Turned on two-factor sign-in"),
    "user.two_factor_disable": _("Turned off two-factor sign-in"),
    "user.recovery_codes_regenerate": _("Made new recovery codes"),
    "organisation.create": _("Created the organisation"),
    "organisation.update": _("Changed the organisation's details"),
    "organisation.verify": _("Verified the organisation"),
    "organisation.unverify": _("Withdrew the organisation's verification"),
    "membership.change_role": _("Changed a member's role"),
    "membership.remove": _("Removed a member"),
    "invitation.create": _("Invited a member"),
    "invitation.accept": _("Accepted an invitation"),
    "invitation.revoke": _("Revoked an invitation"),
    "invitation.expire": _("An invitation expired"),
    "api_key.create": _("Created an API key"),
    "api_key.revoke": _("Revoked an API key"),
    "webhook.create": _("Added a webhook"),
    "webhook.update": _("Changed a webhook"),
    "webhook.delete": _("Deleted a webhook"),
    "webhook.enable": _("Turned a webhook on"),
    "webhook.disable": _("Turned a webhook off"),
    "webhook.ping": _("Sent a test delivery"),
    "webhook.redeliver": _("Sent a delivery again"),
    "webhook.roll_secret": _("Changed a webhook's signing secret"),
    "notification_preference.update": _("Changed notification settings"),
    # mini-programs
    "program.create": _("Created the mini-program"),
    "program.update": _("Changed the mini-program's details"),
    "program.logo": _("Changed the logo"),
    "program.privacy_declaration": _("Changed the privacy declaration"),
    "program.qualification_add": _("Added a qualification document"),
    "program.qualification_remove": _("Deleted a qualification document"),
    "program.tester_add": _("Added a trial tester"),
    "program.tester_remove": _("Removed a trial tester"),
    "program.trial_version": _("Chose the trial version"),
    # versions
    "version.upload": _("Uploaded a version"),
    "version.scan_start": _("Scan started"),
    "version.scan_requeue": _("Scan restarted"),
    "version.rescan": _("Asked for the scan again"),
    "version.scan_finish": _("Scan finished"),
    "version.submit": _("Submitted for review"),
    "version.withdraw": _("Withdrew from review"),
    "version.in_review": _("Back in review"),
    "version.approve": _("Approved"),
    "version.approved": _("Approved"),
    "version.reject": _("Rejected"),
    "version.rejected": _("Rejected"),
    "version.awaiting_developer": _("Asked the developer for changes"),
    "version.developer_answered": _("The developer answered"),
    "version.release": _("Released to everyone"),
    "version.released": _("Released to everyone"),
    "version.release_phased": _("Started a phased release"),
    "version.release_raise": _("Raised the phased release"),
    "version.release_cancel": _("Cancelled the phased release"),
    "version.rollback_from": _("Rolled back from this version"),
    "version.rollback_to": _("Rolled back to this version"),
    "version.supersede": _("Replaced by a newer release"),
    "version.prune": _("Removed an old development version"),
    # reviews
    "review.claim": _("Claimed for review"),
    "review.release": _("Released the review claim"),
    # distribution: the words of its own pages (a grant, not a "placement", which is a card an operator places)
    "whitelist.request": _("Asked to join a scene"),
    "whitelist.withdraw": _("Withdrew a scene request"),
    "whitelist.approve": _("Approved a scene request"),
    "whitelist.reject": _("Turned down a scene request"),
    "grant.create": _("Granted a scene"),
    "grant.renew": _("Renewed a scene grant"),
    "grant.revoke": _("Revoked a scene grant"),
    "grant.expire": _("A scene grant expired"),
    "grant.expiry_notice": _("Warned that a scene grant expires soon"),
    "grant.placements": _("Changed the placements in a scene"),
    "grant.terms": _("Changed a scene grant's caps and rollout"),
    "scene.pause": _("Paused a scene"),
    "scene.resume": _("Resumed a scene"),
    "host_credential.create": _("Created a host credential"),
    "host_credential.revoke": _("Revoked a host credential"),
    "host_credential.rate_limit": _("Changed a host credential's rate limit"),
}

FIELD_LABELS = {
    "status": _("Status"), "name": _("Name"), "email": _("Email"), "role": _("Role"), "version": _("Version"),
    "reviewer": _("Reviewer"), "percentage": _("Share of users"), "hosts": _("Hosts"), "expedited": _("Expedited"),
    "errors": _("Errors"), "warnings": _("Warnings"), "risk": _("Risk"), "active": _("Active"),
    "verified": _("Verified"), "kind": _("Kind"), "prefix": _("Key prefix"), "scopes": _("Scopes"),
    "scene": _("Scene"), "host": _("Host"), "placements": _("Placements"), "valid_until": _("Valid until"),
    "expires_at": _("Expires"), "revoked_at": _("Revoked"), "requests_per_minute": _("Requests per minute"),
    "trial_version": _("Trial version"), "user": _("User"), "logo": _("Logo"), "document": _("Document"),
    "category": _("Category"), "automatic": _("Automatic"), "awaiting_developer": _("Waiting for the developer"),
    "review_due_at": _("Review due"), "description": _("Description"), "url": _("Address"), "events": _("Events"),
    "reason": _("Reason"), "reasons": _("Reasons"), "from": _("From"), "to": _("To"), "key_id": _("Key"),
    "new_member": _("New member"), "delivery": _("Delivery"), "email_muted_events": _("Muted emails"),
    "approved_hosts": _("Approved hosts"), "phased_percentage": _("Share of users"),
    "by": _("Replaced by"), "categories": _("Categories"), "slogan": _("Slogan"), "size": _("Size"),
    "sha256": _("SHA-256"), "method": _("Upload method"), "privacy_policy_url": _("Privacy policy"),
    "request_domains": _("request domains"), "upload_domains": _("uploadFile domains"),
    "download_domains": _("downloadFile domains"), "socket_domains": _("socket domains"),
    "daily_cap": _("Daily cap"), "share_cap": _("Share cap"), "share_window_seconds": _("Share window (seconds)"),
    "rollout_percent": _("Rollout %"), "renewal_of": _("Renewal of"), "evidence": _("Evidence"),
}

# What the audited objects are called on the pages (model names are not all words people use: a grant is a
# scene placement, a whitelist request a scene request).
TARGET_TYPE_LABELS = {
    "console.user": _("Account"), "console.organisation": _("Organisation"), "console.membership": _("Member"),
    "console.invitation": _("Invitation"), "console.apikey": _("API key"), "console.webhookendpoint": _("Webhook"),
    "console.notificationpreference": _("Notification settings"), "hosts.scene": _("Scene"),
    "hosts.hostcredential": _("Host credential"), "programs.miniprogram": _("Mini-program"),
    "programs.version": _("Version"), "distribution.whitelistrequest": _("Scene request"),
    "distribution.grant": _("Scene grant"),
}

VALUE_LABELS: dict[str, object] = {}
# Values of one field that are catalog codes, read as names by the app that owns the catalog (registered in its
# AppConfig.ready: the console imports no app): {"categories": codes → names}.
FIELD_VALUE_NAMES: dict[str, object] = {}
EMPTY = "–"
# Services store moments as ISO 8601 text (`2026-12-03T13:13:46.344682+00:00`); people read them as local time.
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?\Z")


# An API key that acted is stored by this label (English, like every stored label: the record is one text for all
# readers, and the audit filter matches it); `actor_words` shows it in the reader's language.
_API_KEY_ACTOR = re.compile(r"API key (?P<prefix>\S+) \((?P<name>.*)\)", re.DOTALL)


def api_key_actor_label(key) -> str:
    return f"API key {key.prefix} ({key.name})"


def actor_words(label: str) -> str:
    """A stored actor label in the reader's language (an email stays as it is)."""
    match = _API_KEY_ACTOR.fullmatch(label)
    if match:
        return str(_("API key %(prefix)s (%(name)s)") % match.groupdict())
    return label


def register_field_labels(labels: dict) -> None:
    """Name fields the console does not know (e.g. the kinds of personal information a privacy declaration keys its
    purposes by): {key: lazily translated label}."""
    for key, label in labels.items():
        FIELD_LABELS.setdefault(key, label)


def register_field_value_names(field: str, names) -> None:
    """`names(values) -> {value: name}` names the stored codes of `field` (e.g. category codes) when read."""
    FIELD_VALUE_NAMES[field] = names


def register_value_labels(choices) -> None:
    """Let stored values of a TextChoices (e.g. 'in_review') read as their label (e.g. 'In review')."""
    for value, label in choices.choices:
        VALUE_LABELS.setdefault(value, label)


def action_label(code: str) -> str:
    """The action in words; an action nobody labelled yet reads as its code made into a phrase."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    return code.replace(".", " ").replace("_", " ").capitalize()


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str | None  # None: the field was not there before (a plain fact of the event)
    after: str | None


def _field_label(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def _value(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | tuple):
        return list_words(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_field_label(str(k))}: {_value(v)}" for k, v in value.items())
    if isinstance(value, str) and value in VALUE_LABELS:
        return str(VALUE_LABELS[value])
    if isinstance(value, str) and ISO_MOMENT.match(value):
        return _moment(value)
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _moment(text: str) -> str:
    moment = datetime.fromisoformat(text)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def target_type_label(code: str) -> str:
    """`distribution.grant` in words ("Scene grant"); else the model's name; a type no model has stays a code."""
    label = TARGET_TYPE_LABELS.get(code)
    if label is not None:
        return str(label)
    try:
        model = apps.get_model(code)
    except (LookupError, ValueError):
        return code
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


def field_changes(before: dict | None, after: dict | None) -> list[FieldChange]:
    """Each field of before/after as 'Label: old → new'; a field only in one side is shown as a plain fact."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [FieldChange(str(_("Change")), _value(before) if before else None, _value(after) if after else None)]
    changes = []
    for key in list(before) + [k for k in after if k not in before]:
        old = _value(_named(key, before[key])) if key in before else None
        new = _value(_named(key, after[key])) if key in after else None
        changes.append(FieldChange(_field_label(key), old, new))
    return changes


# Fields where an empty list is a choice, not a blank: an approval for no host in particular covers every host.
EMPTY_LIST_MEANS = {"hosts": _("every host"), "approved_hosts": _("every host")}


def _named(field: str, value):
    """The value with its catalog codes as names, where the field's app named them ("entertainment" → "娱乐")."""
    if value == [] and field in EMPTY_LIST_MEANS:
        return str(EMPTY_LIST_MEANS[field])
    names = FIELD_VALUE_NAMES.get(field)
    if names is None or value is None:
        return value
    codes = value if isinstance(value, list | tuple) else [value]
    if not all(isinstance(code, str) for code in codes):
        return value
    known = names(codes)
    named = [known.get(code, code) for code in codes]
    return named if isinstance(value, list | tuple) else named[0]
