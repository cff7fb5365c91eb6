"""The auto-approval policy: low-risk updates from trusted organisations skip the human queue.

`evaluate` is the policy itself (every check, passed or not, with its reason); `auto_review_run`
is what the periodic task calls. Each submission is evaluated once (AutoApprovalEvaluation is
unique per version and submission), so the task is idempotent and a version that did not
qualify is left to the reviewers rather than re-checked every few minutes. Real approvals go
through review_approve with reviewer=None, like a human's; in dry-run mode the policy only
records the "would have approved" decision.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from console.exceptions import Conflict
from programs.models import Version
from reviews.diff import VersionDiff
from reviews.models import AutoApprovalEvaluation, AutoApprovalPolicy, ReviewClaim, ReviewDecision
from reviews.selectors import diff_against_release, released_count
from reviews.services import review_approve, review_record_dry_run

log = logging.getLogger(__name__)
S = Version.Status
Outcome = AutoApprovalEvaluation.Outcome


@dataclass
class Verdict:
    checks: list[dict] = field(default_factory=list)  # {"check", "ok", "message"}

    @property
    def eligible(self) -> bool:
        return bool(self.checks) and all(check["ok"] for check in self.checks)

    def add(self, check: str, ok: bool, message: str) -> None:
        self.checks.append({"check": check, "ok": ok, "message": message})


def _risk(verdict: Verdict, version: Version, policy: AutoApprovalPolicy) -> None:
    score, limit = version.risk_score, policy.max_risk_score
    if score is None:
        verdict.add("risk", False, _("No risk score: the scan report has none."))
    else:
        verdict.add("risk", score <= limit, _("Risk score %(score)d (at most %(limit)d allowed).") % {
            "score": score, "limit": limit})


def _history(verdict: Verdict, version: Version, policy: AutoApprovalPolicy, prior: int) -> None:
    org = version.program.organisation
    verdict.add("prior_releases", prior >= policy.min_prior_releases,
                _("%(org)s released %(n)d versions before (at least %(min)d needed).") % {
                    "org": org.name, "n": prior, "min": policy.min_prior_releases})
    if policy.require_verified_org:
        verdict.add("verified_org", org.verified,
                    _("The organisation is verified.") if org.verified else _("The organisation is not verified."))


def _changes(verdict: Verdict, diff: VersionDiff, policy: AutoApprovalPolicy) -> None:
    if diff.first_release:
        verdict.add("update", False, _("First release of this program: nothing released to compare with."))
        return
    verdict.add("update", True, _("An update of a released program."))
    if not policy.allow_new_permissions:
        added = diff.permissions.added
        verdict.add("permissions", not added, _("New permissions: %(items)s.") % {"items": ", ".join(added)}
                    if added else _("No new permissions."))
    if not policy.allow_new_domains:
        added = diff.new_domains
        verdict.add("domains", not added, _("New domains: %(items)s.") % {"items": ", ".join(added)}
                    if added else _("No new domains."))
    if not policy.allow_new_categories:
        _categories(verdict, diff)


def _categories(verdict: Verdict, diff: VersionDiff) -> None:
    if not diff.metadata_known:
        verdict.add("categories", False, _("The released version's categories are unknown."))
        return
    added = diff.categories.added
    verdict.add("categories", not added, _("New categories: %(items)s.") % {"items": ", ".join(added)}
                if added else _("No new categories."))


def evaluate(version: Version, policy: AutoApprovalPolicy, *, diff: VersionDiff, prior_releases: int) -> Verdict:
    """Apply the policy to a version in review. Every check is listed, so a refusal explains itself."""
    verdict = Verdict()
    _risk(verdict, version, policy)
    _history(verdict, version, policy, prior_releases)
    _changes(verdict, diff, policy)
    return verdict


# ---------------------------------------------------------------- the periodic run


def _candidates(limit: int) -> list[int]:
    evaluated = AutoApprovalEvaluation.objects.filter(version=OuterRef("pk"), submitted_at=OuterRef("submitted_at"))
    humans = ReviewDecision.objects.filter(version=OuterRef("pk"), automatic=False,
                                           created_at__gte=OuterRef("submitted_at"))
    return list(
        Version.objects.filter(status=S.IN_REVIEW, awaiting_developer=False)
        .exclude(Exists(evaluated)).exclude(Exists(humans))
        .order_by("review_due_at", "id").values_list("pk", flat=True)[:limit]
    )


def _claimed(version: Version) -> bool:
    return ReviewClaim.objects.filter(version=version, expires_at__gt=timezone.now()).exists()


def auto_review_version(*, version_id: int, policy: AutoApprovalPolicy) -> AutoApprovalEvaluation | None:
    """Evaluate one waiting version once per submission and act on the verdict. None: skipped."""
    try:
        with transaction.atomic():
            return _auto_review(version_id, policy)
    except (Conflict, IntegrityError):
        return None  # a reviewer or another run got there first; nothing was recorded


def _auto_review(version_id: int, policy: AutoApprovalPolicy) -> AutoApprovalEvaluation | None:
    version = (Version.objects.select_related("program__organisation")
               .filter(pk=version_id, status=S.IN_REVIEW, awaiting_developer=False).first())
    if version is None or _claimed(version):
        return None  # decided meanwhile, or a reviewer is on it: leave it to them
    verdict = evaluate(version, policy, diff=diff_against_release(version),
                       prior_releases=released_count(version.program.organisation_id))
    outcome = Outcome.NOT_ELIGIBLE
    if verdict.eligible:
        outcome = Outcome.WOULD_APPROVE if policy.dry_run else Outcome.APPROVED
    evaluation = AutoApprovalEvaluation.objects.create(
        version=version, submitted_at=version.submitted_at, outcome=outcome, reasons=verdict.checks)
    if outcome == Outcome.WOULD_APPROVE:
        review_record_dry_run(version=version, policy_reasons=verdict.checks)
    elif outcome == Outcome.APPROVED:
        review_approve(version=version, reviewer=None, automatic=True, policy_reasons=verdict.checks)
    return evaluation


def auto_review_run(*, limit: int | None = None) -> dict[str, int]:
    """Evaluate the waiting versions not evaluated since their submission (the periodic task's body)."""
    policy = AutoApprovalPolicy.current()
    counts = dict.fromkeys(Outcome.values, 0)
    if not policy.enabled:
        return counts
    with translation.override(settings.LANGUAGE_CODE):
        for version_id in _candidates(limit or settings.AUTO_APPROVAL_BATCH):
            evaluation = auto_review_version(version_id=version_id, policy=policy)
            if evaluation is not None:
                counts[evaluation.outcome] += 1
    if any(counts.values()):
        log.info("auto-approval run: %s", counts)
    return counts
