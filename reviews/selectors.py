"""Reads for reviewers: the queue, one version under review, its diff, history and thread."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from console.models import AuditEvent, Membership, Organisation
from hosts.models import Host
from programs import selectors as program_selectors
from programs.models import Category, MiniProgram, Version
from programs.selectors import current_release
from programs.versiondiff import VersionDiff
from reviews.models import AutoApprovalEvaluation, RejectionReason, ReviewClaim, ReviewDecision, ReviewMessage

S = Version.Status
SORTS = {
    "due": ("review_due_at", "id"),
    "risk": ("-risk_score", "review_due_at", "id"),
    "oldest": ("submitted_at", "id"),
}


@dataclass(frozen=True)
class QueueFilters:
    q: str = ""  # program name or AppID
    category: str = ""
    host: str = ""
    risk_min: int | None = None
    risk_max: int | None = None
    org: str = ""  # organisation name or slug
    min_age_days: int | None = None  # waiting more than N days
    expedited: bool = False
    sort: str = "due"


# ---------------------------------------------------------------- who may review what


def is_member(user, organisation_id: int) -> bool:
    return Membership.objects.filter(user=user, organisation_id=organisation_id).exists()


def _own_orgs(user):
    return Membership.objects.filter(user=user).values("organisation_id")


def _own_programs(user):
    """Programs of the user's organisations: usually none for a reviewer, so excluding them costs no join."""
    return MiniProgram.objects.filter(organisation_id__in=_own_orgs(user)).values("pk")


def version_for_review(user, version_id: int) -> Version:
    """A submitted version a reviewer may look at; 404 if never submitted, 403 for their own organisation's."""
    version = (
        Version.objects.select_related("program__organisation", "uploaded_by", "review_claim__reviewer")
        .filter(pk=version_id, submitted_at__isnull=False)
        .first()
    )
    if version is None:
        raise Http404
    if is_member(user, version.program.organisation_id):
        raise PermissionDenied(_("You are a member of %(org)s: another reviewer must review its versions.") % {
            "org": version.program.organisation.name})
    return version


# ---------------------------------------------------------------- the queue


def _not_for_host(code: str) -> QuerySet:
    """Programs whose current release is approved only for other hosts (an empty list means every host)."""
    restricted = Version.objects.filter(status=S.RELEASED).exclude(approved_hosts=[])
    return restricted.exclude(approved_hosts__icontains=f'"{code}"').values("program_id")


def _in_category(code: str) -> QuerySet:
    return MiniProgram.categories.through.objects.filter(category__code=code).values("miniprogram_id")


def _filtered(versions: QuerySet, filters: QueueFilters, now: datetime) -> QuerySet:
    # Conditions on programs and organisations are id sets the planner can hash: no row-multiplying joins.
    if filters.q:
        named = MiniProgram.objects.filter(Q(name__icontains=filters.q) | Q(appid__startswith=filters.q))
        versions = versions.filter(program_id__in=named.values("pk"))
    if filters.category:
        versions = versions.filter(program_id__in=_in_category(filters.category))
    if filters.host:
        # Versions that would reach the host: first releases (nothing names a host yet) and updates of
        # programs whose current release is approved for that host or for all hosts.
        versions = versions.exclude(program_id__in=_not_for_host(filters.host))
    if filters.risk_min is not None:
        versions = versions.filter(risk_score__gte=filters.risk_min)
    if filters.risk_max is not None:
        versions = versions.filter(risk_score__lte=filters.risk_max)
    if filters.org:
        orgs = Organisation.objects.filter(Q(name__icontains=filters.org) | Q(slug__icontains=filters.org))
        versions = versions.filter(program_id__in=MiniProgram.objects.filter(organisation__in=orgs).values("pk"))
    if filters.min_age_days is not None:
        versions = versions.filter(submitted_at__lte=now - timedelta(days=filters.min_age_days))
    if filters.expedited:
        versions = versions.filter(expedited=True)
    return versions


def review_queue(*, reviewer, filters: QueueFilters | None = None, now: datetime | None = None) -> QuerySet[Version]:
    """Versions waiting for a reviewer, never the reviewer's own organisations', due first by default.

    Everything a queue row shows comes with it (program, organisation, claim holder); categories come
    from the submission snapshot, so a page costs the same whatever its size.
    """
    filters = filters or QueueFilters()
    now = now or timezone.now()
    versions = _row_data(
        Version.objects.filter(status=S.IN_REVIEW, awaiting_developer=False).exclude(program_id__in=_own_programs(reviewer))
    )
    versions = _filtered(versions, filters, now)
    return versions.order_by(*SORTS.get(filters.sort, SORTS["due"]))


def awaiting_developer(*, reviewer, filters: QueueFilters | None = None, now: datetime | None = None
                       ) -> QuerySet[Version]:
    """Versions a reviewer asked changes of and whose developer has not answered yet, under the queue's
    filters, longest waiting first; each with `changes_requested_at`, when it started waiting."""
    versions = Version.objects.filter(status=S.IN_REVIEW, awaiting_developer=True).exclude(
        program_id__in=_own_programs(reviewer))
    versions = _filtered(_row_data(versions), filters or QueueFilters(), now or timezone.now())
    return versions.annotate(changes_requested_at=Max(
        "review_decisions__created_at", filter=Q(review_decisions__kind=ReviewDecision.Kind.REQUEST_CHANGES),
    )).order_by("changes_requested_at", "id")


ROW_FIELDS = (
    "version", "status", "expedited", "risk_score", "submitted_at", "review_due_at", "submitted_metadata",
    "program__name", "program__appid", "program__logo_small", "program__organisation__name", "program__organisation__slug",
    "program__organisation__verified", "review_claim__version", "review_claim__claimed_at", "review_claim__expires_at",
    "review_claim__reviewer__email", "review_claim__reviewer__full_name",
)


def _row_data(versions: QuerySet[Version]) -> QuerySet[Version]:
    """Just the columns a queue row shows (the scan report is the bulk of a version row), and `answered`: back
    in the queue after the developer answered a request for changes."""
    asked = ReviewDecision.objects.filter(version=OuterRef("pk"), kind=ReviewDecision.Kind.REQUEST_CHANGES)
    return versions.select_related("program__organisation", "review_claim__reviewer").only(*ROW_FIELDS).annotate(
        answered=Exists(asked))


def queue_rows(ids: list[int]) -> list[Version]:
    """The queue rows with these ids, in this order, with everything a row shows: one query."""
    rows = _row_data(Version.objects.all()).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


class QueuePaginator(Paginator):
    """Pages of the queue in two steps: count and slice the ids (with only the joins the filters need),
    then load that page's rows. Deep and filtered pages stay cheap; a page is three queries whatever its size."""

    def __init__(self, versions: QuerySet[Version], per_page: int, **kwargs):
        super().__init__(versions.values_list("pk", flat=True), per_page, **kwargs)

    def page(self, number):
        page = super().page(number)
        page.object_list = queue_rows(list(page.object_list))
        return page


def next_in_queue(*, reviewer, filters: QueueFilters | None = None, skip: list[int] = ()) -> Version | None:
    """The first queued version nobody else holds, leaving out `skip` (what the reviewer passed over)."""
    now = timezone.now()
    free = Q(review_claim__isnull=True) | Q(review_claim__expires_at__lte=now) | Q(review_claim__reviewer=reviewer)
    return review_queue(reviewer=reviewer, filters=filters, now=now).filter(free).exclude(pk__in=skip).first()


def category_names() -> dict[str, str]:
    return {c.code: c.display_name for c in Category.objects.all()}


def queue_filter_choices() -> dict:
    return {
        "categories": [(c.code, c.display_name) for c in Category.objects.filter(active=True)],
        "hosts": [(h.code, h.display_name) for h in Host.objects.filter(active=True)],  # in the reader's language
    }


# ---------------------------------------------------------------- claims


def live_claim(version: Version) -> ReviewClaim | None:
    claim = ReviewClaim.objects.select_related("reviewer").filter(version=version).first()
    return claim if claim and claim.is_live else None


def claims_held(reviewer) -> QuerySet[ReviewClaim]:
    return (
        ReviewClaim.objects.filter(reviewer=reviewer, expires_at__gt=timezone.now())
        .select_related("version__program")
        .order_by("expires_at")
    )


# ---------------------------------------------------------------- one version


def last_released(program: MiniProgram) -> Version | None:
    return current_release(program)


def diff_against_release(version: Version, released: Version | None = None) -> VersionDiff:
    return program_selectors.diff_against_release(version, released)


def version_history(version: Version, *, limit: int = 50) -> list[AuditEvent]:
    """Audit events of the version and of its program, newest first."""
    events = AuditEvent.objects.filter(
        Q(target_type="programs.version", target_id=str(version.pk))
        | Q(target_type="programs.miniprogram", target_id=str(version.program_id))
    )
    return list(events.order_by("-created_at")[:limit])


def program_decisions(program: MiniProgram) -> QuerySet[ReviewDecision]:
    """Every decision on every version of the program (dry runs included), newest first."""
    return (
        ReviewDecision.objects.filter(version__program=program)
        .select_related("version", "reviewer")
        .prefetch_related("reasons")
        .order_by("-created_at", "-id")
    )


def thread(version: Version) -> QuerySet[ReviewMessage]:
    return (
        ReviewMessage.objects.filter(version=version)
        .select_related("author", "decision").prefetch_related("decision__reasons")
        .order_by("created_at", "id")
    )


def auto_evaluations(version: Version) -> QuerySet[AutoApprovalEvaluation]:
    return AutoApprovalEvaluation.objects.filter(version=version).order_by("-evaluated_at")


def active_reasons() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(active=True)


def released_count(organisation_id: int) -> int:
    """How many versions the organisation has released (still released or since superseded)."""
    return Version.objects.filter(
        program__organisation_id=organisation_id, status__in=[S.RELEASED, S.SUPERSEDED]
    ).count()


def rejection_to_answer(version: Version) -> ReviewDecision | None:
    """The rejection of an earlier version that this one, not yet submitted, should answer: the program's last
    real decision, if it was a rejection (an approval or release since settles it)."""
    last = (ReviewDecision.objects.filter(version__program_id=version.program_id, dry_run=False)
            .exclude(version=version).select_related("version").prefetch_related("reasons")
            .order_by("-created_at", "-id").first())
    return last if last is not None and last.kind == ReviewDecision.Kind.REJECT else None


def latest_decision(version: Version, *, since: datetime | None = None) -> ReviewDecision | None:
    """The last real decision on the version (dry runs aside), optionally only since a moment (its submission)."""
    decisions = ReviewDecision.objects.filter(version=version, dry_run=False)
    if since is not None:
        decisions = decisions.filter(created_at__gte=since)
    return decisions.select_related("reviewer").order_by("-created_at", "-id").first()


def withdrawn_from_review(version: Version) -> bool:
    """The developer took the version back out of review and has not submitted it again (nothing was decided)."""
    return version.status == Version.Status.READY and version.withdrawals.exists()
