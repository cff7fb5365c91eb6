"""What the organisation is told about its whitelist requests and grants: in-app, email and webhooks.

Titles and bodies are lazy, so each member reads them in their own language; operators are never
named (the payload carries no operator either).
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from console.notify import NotificationEvent, notify
from distribution.models import Grant, WhitelistRequest
from distribution.rules import share_cap_words


def request_path(request: WhitelistRequest) -> str:
    program = request.program
    return reverse("distribution_request", args=[program.organisation.slug, program.appid, request.pk])


def grant_path(grant: Grant) -> str:
    program = grant.program
    return reverse("distribution_grant", args=[program.organisation.slug, program.appid, grant.pk])


def _scene_name(scene):
    """The scene and its host in the recipient's language: "Hot search on Weibo" (Alipay has a hot search too)."""
    return lazy(lambda: gettext("{scene} on {host}").format(scene=scene.display_name(), host=scene.host.display_name),
                str)()


def _grant_payload(grant: Grant) -> dict:
    return {
        "grant_id": grant.pk, "valid_until": grant.valid_until, "rollout_percent": grant.rollout_percent,
        "share_cap": grant.effective_share_cap(), "share_window_seconds": grant.effective_share_window(),
        "daily_cap": grant.effective_daily_cap(),
        "placements": [p.account_uid or p.topic for p in grant.placements.all()],
    }


def _reason_body(reason, text: str):
    title = lazy(lambda: reason.display_title if reason else "", str)()
    return format_lazy("{}{}{}", title, "\n\n" if reason and text else "", text)


def _grant_terms(grant: Grant, note: str):
    """What the operator decided, in the recipient's language: until when, the caps, the rollout, their note."""

    def text() -> str:
        lines = [gettext("Until {date}.").format(date=f"{timezone.localdate(grant.valid_until):%Y-%m-%d}"),
                 share_cap_words(grant.effective_share_cap(), grant.effective_share_window())]
        if grant.effective_daily_cap() is not None:
            lines.append(gettext("At most {n} shares a day.").format(n=grant.effective_daily_cap()))
        if grant.rollout_percent < 100:
            # The "%" goes in with the number: "{percent}% of" reads to gettext's tools as the directive "% o".
            lines.append(gettext("Shown to {share} of users.").format(share=f"{grant.rollout_percent}%"))
        return "\n".join([*lines, *(["", note] if note else [])])

    return lazy(text, str)()


def _grant_notice(about: Grant, event: str, title, body, *, actor=None, **payload) -> None:
    """Tell the grant's organisation about it: the scene and the host by code in the payload, a link to the grant."""
    program, scene = about.program, about.scene
    notify(organisation=program.organisation, event=event, title=title, body=body, url=grant_path(about), actor=actor,
           payload={"appid": program.appid, "scene": scene.code, "host": scene.host.code, **payload})


def grant_terms_changed(grant: Grant, *, operator) -> None:
    _grant_notice(
        grant, NotificationEvent.WHITELIST_CHANGED,
        format_lazy(gettext_lazy("The terms of {name}'s grant for {scene} changed"), name=grant.program.name,
                    scene=_scene_name(grant.scene)),
        _grant_terms(grant, ""), actor=operator, grant=_grant_payload(grant))


def whitelist_decided(request: WhitelistRequest, *, grant: Grant | None, operator) -> None:
    program, scene = request.program, request.scene
    payload = {"appid": program.appid, "scene": scene.code, "host": scene.host.code, "request_id": request.pk,
               "decision": request.status, "renewal": request.renewal_of_id is not None}
    if grant is not None:
        title = format_lazy(gettext_lazy("{name} was granted {scene}"), name=program.name, scene=_scene_name(scene))
        body = _grant_terms(grant, request.decision_text)
        payload["grant"] = _grant_payload(grant)
        url = grant_path(grant)
    else:
        title = format_lazy(gettext_lazy("{name}'s request for {scene} was rejected"), name=program.name,
                            scene=_scene_name(scene))
        body = _reason_body(request.rejection_reason, request.decision_text)
        payload.update(reason=request.rejection_reason.code if request.rejection_reason else "",
                       text=request.decision_text)
        url = request_path(request)
    notify(organisation=program.organisation, event=NotificationEvent.WHITELIST_DECIDED, title=title, body=body,
           url=url, payload=payload, actor=operator)


def grant_revoked(grant: Grant, *, operator) -> None:
    _grant_notice(
        grant, NotificationEvent.WHITELIST_REVOKED,
        format_lazy(gettext_lazy("{name} can no longer appear in {scene}"), name=grant.program.name,
                    scene=_scene_name(grant.scene)),
        _reason_body(grant.revoke_reason, grant.revoke_text), actor=operator, grant_id=grant.pk,
        reason=grant.revoke_reason.code if grant.revoke_reason else "", text=grant.revoke_text)


def grant_expiring(grant: Grant) -> None:
    _grant_notice(
        grant, NotificationEvent.WHITELIST_EXPIRING,
        format_lazy(gettext_lazy("{name}'s grant for {scene} ends on {date}"), name=grant.program.name,
                    scene=_scene_name(grant.scene), date=f"{timezone.localdate(grant.valid_until):%Y-%m-%d}"),
        gettext_lazy("Request a renewal from the program's distribution page: the placements and caps carry "
                     "over when an operator approves it."),
        grant_id=grant.pk, valid_until=grant.valid_until)


def grant_expired(grant: Grant) -> None:
    """The grant's end has come: said even when the notice before it never went (a grant of a few minutes)."""
    _grant_notice(
        grant, NotificationEvent.WHITELIST_EXPIRED,
        format_lazy(gettext_lazy("{name}'s grant for {scene} has ended"), name=grant.program.name,
                    scene=_scene_name(grant.scene)),
        gettext_lazy("The program no longer appears there. Request a renewal from the program's distribution "
                     "page: the placements and caps carry over when an operator approves it."),
        grant_id=grant.pk, valid_until=grant.valid_until)
