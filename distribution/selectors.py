"""Reads of the distribution app: the scene catalog, a program's matrix, the operators' queue.

Access helpers: `request_for_program` / `grant_for_program` (reached through a program the caller may
see, else 404) and `request_for_operator` / `grant_for_operator` (only on the hosts the operator works).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from console.models import AuditEvent, Membership, Organisation
from distribution.eligibility import SceneState, program_facts, scene_state
from distribution.models import DistributionRejectionReason, EvidenceFile, Grant, WhitelistRequest
from hosts.models import Host, Scene
from programs.models import Category, MiniProgram, Version

R = WhitelistRequest.Status


# ---------------------------------------------------------------- the catalog


def scenes() -> QuerySet[Scene]:
    return Scene.objects.filter(host__active=True).select_related("host").order_by("host__position", "host__code",
                                                                                   "position", "code")


def scene_by_code(code: str) -> Scene:
    scene = scenes().filter(code=code).first()
    if scene is None:
        raise Http404
    return scene


def hosts_with_scenes() -> list[Host]:
    ordered = Scene.objects.order_by("position", "code")
    return list(Host.objects.filter(active=True).prefetch_related(Prefetch("scenes", queryset=ordered)))


def category_names() -> dict[str, str]:
    return {c.code: c.display_name for c in Category.objects.all()}


def active_reasons() -> QuerySet[DistributionRejectionReason]:
    return DistributionRejectionReason.objects.filter(active=True)


# ---------------------------------------------------------------- a program's matrix


@dataclass
class HostRows:
    host: Host
    rows: list[SceneState]

    @property
    def all_open(self) -> bool:
        """Every scene of the host is open to the program: the page folds such hosts away."""
        return all(row.state == "open" for row in self.rows)


def program_distribution(program: MiniProgram, *, now: datetime | None = None) -> list[HostRows]:
    """Every host × scene with its state for `program`: a fixed number of queries whatever the history."""
    now = now or timezone.now()
    facts = program_facts(program)
    requests = list(program.whitelist_requests.select_related("rejection_reason").order_by("-created_at"))
    grants = list(program.grants.select_related("revoke_reason").prefetch_related("placements")
                  .exclude(status=Grant.Status.RENEWED).order_by("-created_at"))
    by_host: dict[int, HostRows] = {}
    for scene in scenes():
        row = scene_state(scene, facts, now=now, requests=[r for r in requests if r.scene_id == scene.pk],
                          grants=[g for g in grants if g.scene_id == scene.pk])
        by_host.setdefault(scene.host_id, HostRows(scene.host, [])).rows.append(row)
    return list(by_host.values())


def scene_row(program: MiniProgram, scene: Scene) -> SceneState:
    requests = list(program.whitelist_requests.filter(scene=scene).order_by("-created_at"))
    grants = list(program.grants.filter(scene=scene).exclude(status=Grant.Status.RENEWED).order_by("-created_at"))
    return scene_state(scene, program_facts(program), requests=requests, grants=grants, now=timezone.now())


def program_requests(program: MiniProgram) -> QuerySet[WhitelistRequest]:
    return (program.whitelist_requests.select_related("scene__host", "rejection_reason", "requested_by")
            .order_by("-created_at"))


def request_for_program(program: MiniProgram, request_id: int) -> WhitelistRequest:
    request = (program_requests(program).select_related("renewal_of").prefetch_related("evidence")
               .filter(pk=request_id).first())
    if request is None:
        raise Http404
    request.program = program
    return request


def grant_for_program(program: MiniProgram, grant_id: int) -> Grant:
    grant = (program.grants.select_related("scene__host", "revoke_reason", "request").prefetch_related("placements")
             .filter(pk=grant_id).first())
    if grant is None:
        raise Http404
    grant.program = program
    return grant


def distribution_history(program: MiniProgram, *, limit: int = 30) -> list[AuditEvent]:
    """The audit events of the program's requests and grants, newest first (operators appear as the platform)."""
    request_ids = [str(pk) for pk in program.whitelist_requests.values_list("pk", flat=True)]
    grant_ids = [str(pk) for pk in program.grants.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(Q(target_type="distribution.whitelistrequest", target_id__in=request_ids)
                                       | Q(target_type="distribution.grant", target_id__in=grant_ids))
    return list(events.order_by("-created_at")[:limit])


# ---------------------------------------------------------------- operators


def operator_hosts(user) -> QuerySet[Host]:
    """The hosts whose queue `user` works: those assigned to them (superusers: every host); none for others."""
    if not user.is_authenticated or not user.is_platform_operator:
        return Host.objects.none()
    return Host.objects.all() if user.is_superuser else Host.objects.filter(operators=user)


@dataclass(frozen=True)
class QueueFilters:
    host: str = ""
    scene: str = ""
    category: str = ""
    org: str = ""  # organisation name or slug
    min_age_days: int | None = None


def _filtered(requests: QuerySet, filters: QueueFilters, now: datetime) -> QuerySet:
    if filters.host:
        requests = requests.filter(scene__host__code=filters.host)
    if filters.scene:
        requests = requests.filter(scene__code=filters.scene)
    if filters.category:
        in_category = MiniProgram.categories.through.objects.filter(category__code=filters.category)
        requests = requests.filter(program_id__in=in_category.values("miniprogram_id"))
    if filters.org:
        orgs = Organisation.objects.filter(Q(name__icontains=filters.org) | Q(slug__icontains=filters.org))
        requests = requests.filter(program__organisation__in=orgs)
    if filters.min_age_days is not None:
        requests = requests.filter(created_at__lte=now - timedelta(days=filters.min_age_days))
    return requests


def _evidence_count():
    """A correlated count (no GROUP BY over the row's joins, so deep pages stay cheap)."""
    files = EvidenceFile.objects.filter(request=OuterRef("pk")).order_by().values("request")
    return Coalesce(Subquery(files.annotate(n=Count("pk")).values("n")[:1]), 0)


def operator_queue(*, operator, filters: QueueFilters | None = None, now: datetime | None = None
                   ) -> QuerySet[WhitelistRequest]:
    """Pending requests on the operator's hosts, oldest first, with what a row shows: the same few queries a page."""
    filters, now = filters or QueueFilters(), now or timezone.now()
    pending = _pending_on_hosts(operator).exclude(_own_organisations(operator))
    return (_filtered(pending, filters, now)
            .select_related("program__organisation", "scene__host", "renewal_of")
            .prefetch_related("program__categories")
            .annotate(evidence_count=_evidence_count())
            .order_by("created_at", "id"))


EXPIRING_DAYS = 14  # "expiring soon": live grants ending within this many days


class GrantState:
    LIVE = "live"
    EXPIRING = "expiring"
    ENDED = "ended"
    ALL = "all"


def operator_grants(*, operator, host: str = "", scene: str = "", state: str = GrantState.LIVE,
                    now: datetime | None = None) -> QuerySet[Grant]:
    """Grants on the operator's hosts: live ones soonest to end first, ended ones latest first. A renewed
    grant is left out: its renewal stands for it."""
    now = now or timezone.now()
    grants = (Grant.objects.filter(scene__host__in=operator_hosts(operator)).exclude(status=Grant.Status.RENEWED)
              .select_related("program__organisation", "scene__host"))
    if host:
        grants = grants.filter(scene__host__code=host)
    if scene:
        grants = grants.filter(scene__code=scene)
    if state in (GrantState.LIVE, GrantState.EXPIRING):
        grants = grants.filter(status=Grant.Status.ACTIVE)
        if state == GrantState.EXPIRING:
            grants = grants.filter(valid_until__lte=now + timedelta(days=EXPIRING_DAYS))
        return grants.order_by("valid_until", "id")
    if state == GrantState.ENDED:
        grants = grants.filter(status__in=[Grant.Status.EXPIRED, Grant.Status.REVOKED])
    return grants.order_by("-status_changed_at", "-id")


def own_pending_count(*, operator) -> int:
    """Pending requests on the operator's hosts from their own organisations: the queue leaves them to
    another operator, and says how many it leaves out."""
    return _pending_on_hosts(operator).filter(_own_organisations(operator)).count()


def _pending_on_hosts(operator) -> QuerySet[WhitelistRequest]:
    """Pending requests of live programs: a program the platform took down has nothing left to decide."""
    return WhitelistRequest.objects.filter(status=R.PENDING, scene__host__in=operator_hosts(operator),
                                           program__deleted_at=None)


def _own_organisations(operator) -> Q:
    """Requests of the operator's own organisations: another operator decides them (services.decision_blocker)."""
    return Q(program__organisation__in=Membership.objects.filter(user=operator).values("organisation_id"))


def request_for_operator(user, request_id: int) -> WhitelistRequest:
    request = (WhitelistRequest.objects.select_related("program__organisation", "scene__host", "rejection_reason",
                                                       "renewal_of", "requested_by", "decided_by")
               .prefetch_related("evidence", "program__categories")
               .filter(pk=request_id, scene__host__in=operator_hosts(user)).first())
    if request is None:
        raise Http404
    return request


def grant_for_operator(user, grant_id: int) -> Grant:
    grant = (Grant.objects.select_related("program__organisation", "scene__host", "request")
             .prefetch_related("placements").filter(pk=grant_id, scene__host__in=operator_hosts(user)).first())
    if grant is None:
        raise Http404
    return grant


def program_release(program: MiniProgram) -> Version | None:
    """The version users of the hosts get: the full release, else a first release still phasing in."""
    live = program.versions.filter(status__in=[Version.Status.RELEASED, Version.Status.PHASED])
    return live.order_by("status").last()  # "released" sorts after "phased"


def program_history(program: MiniProgram, *, limit: int = 40) -> list[AuditEvent]:
    """Release and review history of the program and its versions, newest first (for operators)."""
    version_ids = [str(pk) for pk in program.versions.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(Q(target_type="programs.miniprogram", target_id=str(program.pk))
                                       | Q(target_type="programs.version", target_id__in=version_ids))
    return list(events.order_by("-created_at")[:limit])


def program_grants(program: MiniProgram) -> QuerySet[Grant]:
    """Every grant of the program, live and ended, newest first."""
    return program.grants.select_related("scene__host", "revoke_reason").order_by("-created_at")


def past_requests(program: MiniProgram, *, exclude: int | None = None) -> QuerySet[WhitelistRequest]:
    return program_requests(program).exclude(pk=exclude)
