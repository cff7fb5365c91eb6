"""Reviewer pages: the queue, the review page and its actions (claim, heartbeat, decide, message, next)."""

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console.exceptions import Conflict
from console.forms import add_service_errors, error_text
from console.roles import Capability
from console.selectors import require_capability
from programs.models import Version
from programs.selectors import code_version_by_id, program_for_user
from programs.views import code as code_views
from programs.views.reports import report_context
from reviews import selectors, services
from reviews.forms import DecisionForm, MessageForm, QueueFilterForm
from reviews.models import ReviewDecision

Kind = ReviewDecision.Kind
QUEUE_FILTERS_KEY = "review_queue_filters"
AWAITING_SHOWN = 50  # versions waiting for their developer's answer listed under the queue
SKIPPED_KEY = "review_skipped"
SKIP_MEMORY = 50


def reviewer_page(view):
    """Login required (anonymous → login page); anyone not in the reviewers group gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_reviewer:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _review_url(version_id: int, anchor: str = "") -> str:
    return reverse("review_detail", args=[version_id]) + (f"#{anchor}" if anchor else "")


# ---------------------------------------------------------------- the queue


@dataclass
class QueueRow:
    """What one queue row shows, worked out once in Python (a page of 50 stays cheap to render)."""

    version: Version
    url: str
    categories: list[str]
    overdue: bool
    due_label: str
    due_title: str
    claim_holder: str = ""
    claim_mine: bool = False
    claim_until: str = ""


def _due(version: Version, now) -> tuple[bool, str, str]:
    due = version.review_due_at
    if due is None:
        return False, "–", ""
    title = date_format(timezone.localtime(due), "Y-m-d H:i")
    if due < now:
        return True, _("overdue %(t)s") % {"t": timesince(due, now, depth=1)}, title
    return False, _("due in %(t)s") % {"t": timeuntil(due, now, depth=1)}, title


def queue_rows(versions, *, user, now, category_names: dict) -> list[QueueRow]:
    detail = reverse("review_detail", args=[0]).replace("/0/", "/{}/")
    rows = []
    for v in versions:
        overdue, label, title = _due(v, now)
        row = QueueRow(v, detail.format(v.pk), [category_names.get(c, c) for c in
                                                 (v.submitted_metadata or {}).get("categories") or []],
                       overdue, label, title)
        claim = getattr(v, "review_claim", None)
        if claim is not None and claim.expires_at > now:
            row.claim_mine = claim.reviewer_id == user.pk
            row.claim_holder = claim.reviewer.display_name
            row.claim_until = timezone.localtime(claim.expires_at).strftime("%H:%M")
        rows.append(row)
    return rows



@require_GET
@reviewer_page
def queue(request):
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    if request.session.get(QUEUE_FILTERS_KEY) != request.GET.urlencode():
        request.session[QUEUE_FILTERS_KEY] = request.GET.urlencode()  # what "next" follows
    now = timezone.now()
    versions = selectors.review_queue(reviewer=request.user, filters=filters, now=now)
    page = selectors.QueuePaginator(versions, settings.REVIEW_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queue_rows(page.object_list, user=request.user, now=now,
                                  category_names=dict(form.fields["category"].choices))
    context = {
        "form": form, "page": page, "now": now,
        "held": selectors.claims_held(request.user), "max_claims": settings.REVIEW_MAX_CLAIMS,
        "filtering": form.active,
    }
    awaiting = selectors.awaiting_developer(reviewer=request.user, filters=filters, now=now)
    context["waiting_on_developer"] = list(awaiting[:AWAITING_SHOWN])
    context["waiting_on_developer_count"] = (len(context["waiting_on_developer"])
                                             if len(context["waiting_on_developer"]) < AWAITING_SHOWN else awaiting.count())
    return render(request, "reviews/queue.html", context)


@require_GET
@reviewer_page
def review_next(request):
    """The next waiting version nobody else holds, skipping the one the reviewer just passed over."""
    skipped = [int(pk) for pk in request.session.get(SKIPPED_KEY, [])]
    if request.GET.get("skip", "").isdigit():
        skipped = [*skipped, int(request.GET["skip"])][-SKIP_MEMORY:]
    form = QueueFilterForm(QueryDict(request.session.get(QUEUE_FILTERS_KEY, "")))
    version = selectors.next_in_queue(reviewer=request.user, filters=form.filters(), skip=skipped)
    if version is None and skipped:
        skipped = []  # went round the whole queue: start again from the top
        version = selectors.next_in_queue(reviewer=request.user, filters=form.filters(), skip=skipped)
    request.session[SKIPPED_KEY] = skipped
    if version is None:
        messages.info(request, _("Nothing else is waiting in the queue."))
        return redirect("review_queue")
    return redirect("review_detail", version.pk)


# ---------------------------------------------------------------- one version


def _page_context(request, version, *, decision_form=None, message_form=None, open_form="", kept=None,
                  unsent=False) -> dict:
    program = version.program
    released = selectors.last_released(program)
    claim = selectors.live_claim(version)
    return {
        "version": version, "program": program, "org": program.organisation, "now": timezone.now(),
        "claim": claim, "mine": bool(claim and claim.reviewer_id == request.user.pk),
        "released": released, "diff": selectors.diff_against_release(version, released),
        "org_releases": selectors.released_count(program.organisation_id),
        "categories": program.categories.all(), "category_names": selectors.category_names(),
        "history": selectors.version_history(version), "decisions": selectors.program_decisions(program),
        "thread": selectors.thread(version), "evaluations": selectors.auto_evaluations(version),
        "reasons": selectors.active_reasons(), "hosts": selectors.queue_filter_choices()["hosts"],
        "decision_form": decision_form or DecisionForm(), "message_form": message_form or MessageForm(),
        "open_form": open_form, "decidable": version.status == version.Status.IN_REVIEW,
        "withdrawn": selectors.withdrawn_from_review(version),
        "kept": kept or {"text": "", "reasons": [], "hosts": []}, "unsent": unsent,
        "claim_minutes": settings.REVIEW_CLAIM_MINUTES, "heartbeat_seconds": settings.REVIEW_HEARTBEAT_SECONDS,
        "claim_idle_minutes": settings.REVIEW_CLAIM_IDLE_MINUTES,
        "code": code_links(version),
        **report_context(version),
    }


@require_GET
@reviewer_page
def review_detail(request, version_id):
    version = selectors.version_for_review(request.user, version_id)
    unsent = request.session.pop(_unsent_slot(version.pk), None)  # a decision refused a moment ago
    if unsent is None:
        return render(request, "reviews/review.html", _page_context(request, version))
    context = _page_context(request, version, open_form=unsent.pop("decision"), kept=unsent, unsent=True)
    return render(request, "reviews/review.html", context)


@require_POST
@reviewer_page
def review_claim(request, version_id):
    version = selectors.version_for_review(request.user, version_id)
    try:
        claim = services.review_claim(version=version, reviewer=request.user)
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("You hold this version until %(until)s; the lock renews while this page is "
                                    "open.") % {"until": timezone.localtime(claim.expires_at).strftime("%H:%M")})
    return redirect(_review_url(version.pk))


@require_POST
@reviewer_page
def review_claim_refresh(request, version_id):
    """The page's heartbeat (review.js, every minute): JSON, 409 when someone else holds the version now."""
    version = selectors.version_for_review(request.user, version_id)
    try:
        claim = services.review_claim_refresh(version=version, reviewer=request.user)
    except Conflict as exc:
        return JsonResponse({"held": False, "message": str(exc)}, status=409)
    except ValidationError as exc:
        return JsonResponse({"held": False, "message": error_text(exc)}, status=400)
    return JsonResponse({"held": True, "expires_at": claim.expires_at.isoformat(),
                         "expires_label": timezone.localtime(claim.expires_at).strftime("%H:%M")})


@require_POST
@reviewer_page
def review_claim_release(request, version_id):
    version = selectors.version_for_review(request.user, version_id)
    if services.review_claim_release(version=version, reviewer=request.user):
        messages.success(request, _("Released %(program)s %(version)s for other reviewers.") % {
            "program": version.program.name, "version": version.version})
    return redirect("review_queue")


DONE_MESSAGES = {
    Kind.APPROVE: gettext_lazy("Approved %(program)s %(version)s."),
    Kind.REJECT: gettext_lazy("Rejected %(program)s %(version)s."),
    Kind.REQUEST_CHANGES: gettext_lazy("Asked the developer of %(program)s %(version)s for changes."),
}


@require_POST
@reviewer_page
def review_decide(request, version_id):
    version = selectors.version_for_review(request.user, version_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = services.review_decide(version=version, reviewer=request.user, **form.cleaned_data)
        except Conflict as exc:
            # Someone else decided, claimed or withdrew it meanwhile. Post/redirect/get, as for a new API key:
            # the page as it now stands at its own address (a reload must not post the decision again), with
            # what this reviewer typed waiting in the session to be shown once, to copy (their form may be gone).
            messages.error(request, str(exc))
            request.session[_unsent_slot(version.pk)] = {**_kept_input(request),
                                                          "decision": request.POST.get("decision", "")}
            return redirect(_review_url(version.pk, "decide"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, str(DONE_MESSAGES[decision.kind]) % {
                "program": version.program.name, "version": version.version})
            return redirect("review_next")
    context = _page_context(request, version, decision_form=form, open_form=request.POST.get("decision", ""),
                            kept=_kept_input(request))
    return render(request, "reviews/review.html", context, status=400)


def _unsent_slot(version_id: int) -> str:
    return f"review_unsent:{version_id}"


def _kept_input(request) -> dict:
    """What the reviewer typed and ticked, to fill the decision form in again when it is refused."""
    return {"text": request.POST.get("text", ""), "reasons": request.POST.getlist("reasons"),
            "hosts": request.POST.getlist("hosts")}


@require_POST
@reviewer_page
def review_message(request, version_id):
    version = selectors.version_for_review(request.user, version_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        _post_message(request, version, form, _("Message sent to the developer."))
        return redirect(_review_url(version.pk, "thread"))
    context = _page_context(request, version, message_form=form)
    return render(request, "reviews/review.html", context, status=400)


def _post_message(request, version, form, sent: str) -> None:
    """Post the thread message of a valid `form`; the outcome becomes a flash message."""
    try:
        services.review_message_post(version=version, author=request.user, body=form.cleaned_data["body"])
    except (ValidationError, Conflict) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, sent)


# ---------------------------------------------------------------- the developer's side


@require_POST
@login_required
def developer_answer(request, version_id):
    """A member answers the reviewers from the panel on their version page; outsiders get 404."""
    version = Version.objects.select_related("program").filter(pk=version_id).first()
    if version is None:
        raise Http404
    program, membership = program_for_user(request.user, version.program.appid)
    require_capability(membership, Capability.WRITE_PROGRAMS)
    version.program = program
    form = MessageForm(request.POST)
    if form.is_valid():
        _post_message(request, version, form, _("Sent to the reviewers."))
    else:
        messages.error(request, _("Write a message first."))
    return redirect(services.version_page_path(version) + "#review-thread")


# ---------------------------------------------------------------- the code viewer, from the review page


def code_links(version) -> code_views.CodeLinks:
    args = [version.pk]
    return code_views.CodeLinks(
        reverse("review_code", args=args), reverse("review_code_changes", args=args),
        reverse("review_code_raw", args=args), reverse("review_detail", args=args), _("Review"),
        reverse("review_code_search", args=args))


# The same viewer page on the organisation's side, for a member who is not a reviewer.
ORGANISATION_SIDE = {"review_code": "version_code", "review_code_changes": "version_code_changes",
                     "review_code_raw": "version_code_raw", "review_code_search": "version_code_search"}


def code_page(view):
    """Signed in; the version through the code viewer's access rule (members and reviewers; else 404); GET.

    A member who is not a reviewer (a link passed on by a reviewer) goes to the same page on the
    organisation's side, whose breadcrumbs lead to pages they may open, not to a review page that is 403."""

    @login_required
    @wraps(view)
    def wrapper(request, version_id):
        version = code_version_by_id(request.user, version_id)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not request.user.is_reviewer:
            program = version.program
            url = reverse(ORGANISATION_SIDE[request.resolver_match.url_name],
                          args=[program.organisation.slug, program.appid, version.version])
            return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
        return view(request, version)

    return wrapper


@code_page
def review_code(request, version):
    return code_views.browse_page(request, version, code_links(version), base={"side": "review"})


@code_page
def review_code_changes(request, version):
    return code_views.changes_page(request, version, code_links(version), code_links, base={"side": "review"})


@code_page
def review_code_raw(request, version):
    return code_views.raw_response(request, version)


@code_page
def review_code_search(request, version):
    return code_views.search_page(request, version, code_links(version), base={"side": "review"})
