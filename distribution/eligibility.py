"""Whether a program may appear in a scene, and the state of each host × scene for a program.

A rule lives once: `scene_refusal` is what the distribution page shows before anyone asks, what
the API returns, and what request submission and the operator's decision check again.
`scene_state` adds the history (requests, grants) to give the one state a row shows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from console.words import list_words
from distribution.models import Grant, WhitelistRequest
from hosts.models import Scene
from programs.models import MiniProgram, Version


class State(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    ELIGIBLE = "eligible", gettext_lazy("Eligible to request")
    NOT_ELIGIBLE = "not_eligible", gettext_lazy("Not eligible")
    REQUESTED = "requested", gettext_lazy("Requested")
    GRANTED = "granted", gettext_lazy("Granted")
    EXPIRING = "expiring", gettext_lazy("Expiring soon")
    EXPIRED = "expired", gettext_lazy("Expired")
    REJECTED = "rejected", gettext_lazy("Rejected")
    REVOKED = "revoked", gettext_lazy("Revoked")


class Reason(models.TextChoices):
    """Why a program cannot be in (or ask for) a scene: stable codes the API returns."""

    SCENE_PAUSED = "scene_paused", gettext_lazy("Scene paused")
    HOST_INACTIVE = "host_inactive", gettext_lazy("Host not active")
    NOT_RELEASED = "not_released", gettext_lazy("Not released")
    NOT_APPROVED_FOR_HOST = "not_approved_for_host", gettext_lazy("Not approved for this host")
    ORG_NOT_VERIFIED = "org_not_verified", gettext_lazy("Organisation not verified")
    CATEGORY_NOT_ALLOWED = "category_not_allowed", gettext_lazy("Category not allowed")
    NOT_SERVICE_TYPE = "not_service_type", gettext_lazy("Not a service-type category")


@dataclass(frozen=True)
class CategoryFact:
    code: str
    name: str
    service_type: bool


@dataclass(frozen=True)
class ProgramFacts:
    """What the rule looks at, read once per page (two queries)."""

    released: bool
    approved_hosts: tuple[str, ...]  # empty: every host
    categories: tuple[CategoryFact, ...]
    org_verified: bool


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def program_facts(program: MiniProgram) -> ProgramFacts:
    """The program's release (a full or phased release counts), its categories and its organisation's verification."""
    live = (Version.objects.filter(program=program, status__in=[Version.Status.RELEASED, Version.Status.PHASED])
            .order_by("-status_changed_at").values_list("status", "approved_hosts"))
    rows = list(live)
    # A full release decides the hosts; a first release still phasing in counts on its own.
    chosen = next((r for r in rows if r[0] == Version.Status.RELEASED), rows[0] if rows else None)
    categories = tuple(CategoryFact(c.code, c.display_name, c.service_type) for c in program.categories.all())
    return ProgramFacts(
        # A program the platform took down (deleted_at) is released nowhere, whatever its versions say.
        released=chosen is not None and program.deleted_at is None,
        approved_hosts=tuple(chosen[1] or ()) if chosen else (),
        categories=categories, org_verified=program.organisation.verified,
    )


def _host(scene: Scene) -> str:
    host = scene.host
    return host.name_zh if host.name_zh and (get_language() or "").startswith("zh") else host.name


def scene_refusal(scene: Scene, facts: ProgramFacts) -> Refusal | None:
    """The first reason the program cannot be in `scene` now, or None when the rule lets it in."""
    if not scene.is_active:
        return Refusal(Reason.SCENE_PAUSED, _("The host has paused this scene for now."))
    if not scene.host.active:
        return Refusal(Reason.HOST_INACTIVE, _("%(host)s is not taking programs at the moment.") % {
            "host": _host(scene)})
    if not facts.released:
        return Refusal(Reason.NOT_RELEASED, _("Release a version of the program first."))
    if facts.approved_hosts and scene.host.code not in facts.approved_hosts:
        return Refusal(Reason.NOT_APPROVED_FOR_HOST, _("The released version is not approved for %(host)s.") % {
            "host": _host(scene)})
    return developer_refusal(scene, facts)


# The rules about the developer and the program's categories (not about the scene's or the release's state):
# the share gate applies these through `developer_refusal`, and checks the release per host user itself.
DEVELOPER_REASONS = (Reason.ORG_NOT_VERIFIED, Reason.CATEGORY_NOT_ALLOWED, Reason.NOT_SERVICE_TYPE)


def developer_refusal(scene: Scene, facts: ProgramFacts) -> Refusal | None:
    """The first of DEVELOPER_REASONS that keeps the program out of `scene`, or None."""
    if scene.needs_verified_org and not facts.org_verified:
        return Refusal(Reason.ORG_NOT_VERIFIED, _("This scene needs a verified organisation."))
    if scene.allowed_categories:
        outside = [c.name for c in facts.categories if c.code not in scene.allowed_categories]
        if outside:
            return Refusal(Reason.CATEGORY_NOT_ALLOWED, _("The category %(names)s is not allowed in this scene.") % {
                "names": list_words(outside)})
    if scene.service_types_only:
        outside = [c.name for c in facts.categories if not c.service_type]
        if outside:
            return Refusal(Reason.NOT_SERVICE_TYPE, _(
                "Only service-type categories (life services, public welfare …) may use this scene; "
                "%(names)s is not one.") % {"names": list_words(outside)})
    return None


def expiry_notice_days() -> int:
    return settings.DISTRIBUTION_EXPIRY_NOTICE_DAYS


@dataclass
class SceneState:
    """One row of a program's distribution matrix."""

    scene: Scene
    state: str
    refusal: Refusal | None = None
    grant: Grant | None = None  # the live grant, or the expired / revoked one the state is about
    request: WhitelistRequest | None = None  # the pending request, or the rejected one the state is about
    renewal_pending: bool = False
    history: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(State(self.state).label)

    @property
    def can_request(self) -> bool:
        """A new request (or a renewal) may be sent now."""
        if not self.scene.needs_whitelist or self.refusal is not None:
            return False
        if self.state in (State.ELIGIBLE, State.REJECTED, State.REVOKED):
            return True
        return self.can_renew

    @property
    def can_renew(self) -> bool:
        return (self.refusal is None and not self.renewal_pending
                and self.state in (State.EXPIRING, State.EXPIRED))

    @property
    def reason_code(self) -> str:
        return self.refusal.code if self.refusal else ""

    @property
    def reason(self) -> str:
        return self.refusal.message if self.refusal else ""


def _grant_state(grant: Grant, now: datetime) -> str:
    if grant.status == Grant.Status.ACTIVE and grant.valid_until <= now:
        return State.EXPIRED  # the beat task has not caught up yet: it is expired all the same
    if grant.status == Grant.Status.ACTIVE:
        soon = grant.valid_until - now <= timedelta(days=expiry_notice_days())
        return State.EXPIRING if soon else State.GRANTED
    return {Grant.Status.EXPIRED: State.EXPIRED, Grant.Status.REVOKED: State.REVOKED}.get(grant.status, "")


def scene_state(scene: Scene, facts: ProgramFacts, *, requests: list[WhitelistRequest], grants: list[Grant],
                now: datetime) -> SceneState:
    """The state of `scene` for the program, from its rule and the program's requests and grants in it.

    `requests` and `grants` are the program's, in this scene, newest first.
    """
    refusal = scene_refusal(scene, facts)
    if not scene.needs_whitelist:
        return SceneState(scene, State.NOT_ELIGIBLE if refusal else State.OPEN, refusal)
    pending = next((r for r in requests if r.status == WhitelistRequest.Status.PENDING), None)
    live = next((g for g in grants if g.status == Grant.Status.ACTIVE), None)
    history = sorted([*(r for r in requests if r.status == WhitelistRequest.Status.REJECTED),
                      *(g for g in grants if g.status in (Grant.Status.EXPIRED, Grant.Status.REVOKED))],
                     key=_moment, reverse=True)
    if live is not None:
        row = SceneState(scene, _grant_state(live, now), refusal, grant=live, history=history)
        row.renewal_pending = pending is not None
        row.request = pending
        return row
    if pending is not None:
        return SceneState(scene, State.REQUESTED, refusal, request=pending, history=history)
    if history:
        last = history[0]
        if isinstance(last, WhitelistRequest):
            return SceneState(scene, State.REJECTED, refusal, request=last, history=history)
        return SceneState(scene, _grant_state(last, now), refusal, grant=last, history=history)
    return SceneState(scene, State.NOT_ELIGIBLE if refusal else State.ELIGIBLE, refusal)


def _moment(obj) -> datetime:
    return obj.status_changed_at
