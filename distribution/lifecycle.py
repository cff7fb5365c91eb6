"""The state machines of whitelist requests and grants: one table each, one path that moves them.

As for versions (programs.lifecycle): a move the table does not allow is refused, the change is a
compare-and-swap on the current status (of two operators deciding at once, exactly one wins), and
the audit event is written in the same transaction, for the organisation to read.
"""

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.exceptions import Conflict, WrongState
from console.services import audit_record
from distribution.models import Grant, WhitelistRequest

R = WhitelistRequest.Status
G = Grant.Status

REQUEST_TRANSITIONS: dict[str, set[str]] = {
    R.PENDING: {R.APPROVED, R.REJECTED, R.WITHDRAWN},
    R.APPROVED: set(),
    R.REJECTED: set(),
    R.WITHDRAWN: set(),
}
GRANT_TRANSITIONS: dict[str, set[str]] = {
    G.ACTIVE: {G.EXPIRED, G.REVOKED, G.RENEWED},
    # An expired grant is carried over by its renewal; revoked and renewed are final.
    G.EXPIRED: {G.RENEWED},
    G.REVOKED: set(),
    G.RENEWED: set(),
}

# What the organisation's audit log shows instead of an operator's identity.
OPERATOR_LABEL = "Platform operations"


class Action:
    """Audit actions of the distribution app (named constants, with words for people in AUDIT_WORDS)."""

    REQUEST = "whitelist.request"
    WITHDRAW = "whitelist.withdraw"
    APPROVE = "whitelist.approve"
    REJECT = "whitelist.reject"
    GRANT = "grant.create"
    REVOKE = "grant.revoke"
    EXPIRE = "grant.expire"
    RENEW = "grant.renew"
    EXPIRY_NOTICE = "grant.expiry_notice"
    PLACEMENTS = "grant.placements"
    TERMS = "grant.terms"


def _move(model: type[models.Model], table: dict, obj, *, to: str, actor, action: str, actor_label: str | None,
          api_key=None, changes: dict | None = None, note: dict | None = None):
    current = obj.status
    if to not in table.get(current, set()):
        raise WrongState(_("This is “%(current)s” already; it cannot become “%(target)s”.") % {
            "current": model.Status(current).label, "target": model.Status(to).label})
    fields = {"status": to, "status_changed_at": timezone.now(), **(changes or {})}
    if not model.objects.filter(pk=obj.pk, status=current).update(**fields):
        raise Conflict(_("Someone else decided this a moment ago; reload to see what changed."))
    for name, value in fields.items():
        setattr(obj, name, value)
    audit_record(action=action, target=obj, actor=actor, api_key=api_key, actor_label=actor_label,
                 organisation=obj.program.organisation, before={"status": current},
                 after={"status": to, "scene": obj.scene.code, **(note or {})})
    return obj


@transaction.atomic
def request_transition(request: WhitelistRequest, *, to: str, actor=None, action: str, actor_label=None,
                       api_key=None, changes=None, note=None) -> WhitelistRequest:
    return _move(WhitelistRequest, REQUEST_TRANSITIONS, request, to=to, actor=actor, action=action,
                 actor_label=actor_label, api_key=api_key, changes=changes, note=note)


@transaction.atomic
def grant_transition(grant: Grant, *, to: str, actor=None, action: str, actor_label=None, changes=None,
                     note=None) -> Grant:
    return _move(Grant, GRANT_TRANSITIONS, grant, to=to, actor=actor, action=action, actor_label=actor_label,
                 changes=changes, note=note)


AUDIT_WORDS = {
    Action.REQUEST: gettext_lazy("Requested"),
    Action.WITHDRAW: gettext_lazy("Withdrew the request"),
    Action.APPROVE: gettext_lazy("Approved the request"),
    Action.REJECT: gettext_lazy("Rejected the request"),
    Action.GRANT: gettext_lazy("Granted"),
    Action.REVOKE: gettext_lazy("Revoked the grant"),
    Action.EXPIRE: gettext_lazy("The grant expired"),
    Action.RENEW: gettext_lazy("Carried the grant over to its renewal"),
    Action.EXPIRY_NOTICE: gettext_lazy("Sent the expiry notice"),
    Action.PLACEMENTS: gettext_lazy("Changed the placements"),
    Action.TERMS: gettext_lazy("Changed the caps and rollout"),
}
