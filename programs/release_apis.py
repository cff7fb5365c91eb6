"""Lifecycle actions in the API: scan again, submit, withdraw, trial, release (phased), cancel, rollback."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_fields import StrictInput
from programs.apis import ProgramAccessMixin
from programs.models import Version
from programs.releases import (
    program_rollback,
    version_cancel_phase,
    version_release,
    version_set_trial,
    version_submit,
    version_withdraw,
)
from programs.scans import version_rescan
from programs.selectors import version_for_user
from programs.serializers import VersionOutput


class SubmitInput(StrictInput, serializers.Serializer):
    notes = serializers.CharField(max_length=Version._meta.get_field("submit_notes").max_length, required=False,
                                  allow_blank=True, default="",
                                  help_text="Notes for the reviewer.")
    test_account = serializers.CharField(max_length=Version._meta.get_field("test_account").max_length,
                                         required=False, allow_blank=True, default="",
                                         help_text="A login the reviewer can use inside the mini-program.")
    expedited = serializers.BooleanField(required=False, default=False,
                                         help_text="Ask for expedited review (monthly quota).")


class ReleaseInput(StrictInput, serializers.Serializer):
    percentage = serializers.IntegerField(min_value=1, max_value=100, required=False, default=100,
                                          help_text="100 releases to everyone; less starts or raises a phased release.")


WRONG_STATE = ("`wrong_state`: the version's or the program's current state does not allow this now (the message "
               "says why); `limit_reached`: a quota is used up; `conflict`: someone else changed the version a "
               "moment ago (reload and look).")


class _VersionAction(ProgramAccessMixin, APIView):
    # POST to act on one version; answers with the version as it is afterwards. (A comment, not a docstring:
    # the schema would show a docstring to API users.)

    input_serializer: type[serializers.Serializer] | None = None
    error_statuses = {409: WRONG_STATE}
    answer_status = 200

    def post(self, request, appid, version):
        self.program(appid)  # 404 for outsiders, 403 without programs:write
        obj, _ = version_for_user(request.user, appid, version, api_key=self.api_key())
        data = {}
        if self.input_serializer:
            parsed = self.input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = parsed.validated_data
        result = self.act(obj, request.user, self.api_key(), **data)
        return Response(VersionOutput(result, context={"request": request}).data, status=self.answer_status)

    def act(self, version, actor, api_key, **data):
        raise NotImplementedError


def _answer(description: str) -> dict:
    return {200: OpenApiResponse(VersionOutput, description=description)}


@extend_schema(
    request=SubmitInput, responses=_answer("Submitted: the version is `in_review`, with its review due date."),
    summary="Submit a ready version for review",
    description="Sends a `ready` version (a clean scan) to the review queue. Refused with 409 while another "
                "version of the program is in review, approved or being released, or while the program lacks "
                "what reviewers need (description, privacy policy URL, qualification documents); `expedited` "
                "uses the organisation's monthly quota.",
    examples=[OpenApiExample("submit", request_only=True,
                             value={"notes": "Login with the test account", "test_account": "demo / 1234"})])
class SubmitApi(_VersionAction):
    input_serializer = SubmitInput

    def act(self, version, actor, api_key, **data):
        return version_submit(version=version, actor=actor, api_key=api_key, **data)


@extend_schema(
    request=None,
    responses={202: OpenApiResponse(VersionOutput, description="Queued: the version is `uploaded` again, and its "
                                                               "scan follows as after an upload.")},
    summary="Scan a version whose scan failed again",
    description="Scans the same package again, against the program's settings as they are now: for errors that "
                "came from the program's domains or privacy declaration, once they are changed, or from a scanner "
                "that gave up. Uploading the same package again would only point at this version. Only a "
                "`scan_failed` version (409 `wrong_state` otherwise); it counts as an upload against the "
                "organisation's hourly limit (409 `limit_reached` past it).")
class RescanApi(_VersionAction):
    answer_status = 202

    def act(self, version, actor, api_key, **data):
        return version_rescan(version=version, actor=actor, api_key=api_key)


@extend_schema(request=None, responses=_answer("Withdrawn: the version is `ready` again."),
               summary="Withdraw a submission (5 a day, 10 a month)",
               description="Takes a version `in_review` out of the queue. A program may withdraw 5 submissions a "
                           "day and 10 a month (409 `limit_reached` after that).")
class WithdrawApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_withdraw(version=version, actor=actor, api_key=api_key)


@extend_schema(request=None, responses=_answer("This version is now the program's trial version."),
               summary="Make this version the trial version",
               description="A development version (ready, in review, approved or rejected) becomes the one the "
                           "program's testers open from its QR code and link; it replaces the previous trial version.")
class TrialApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_set_trial(version=version, actor=actor, api_key=api_key)


@extend_schema(
    request=ReleaseInput,
    responses=_answer("Released: status `released` (100 %), or `phased` with `release_percentage`."),
    summary="Release an approved version, fully or phased; raise a phased release",
    description="An `approved` version goes to everyone (`percentage` 100, the default; the previous release "
                "becomes `superseded`) or to that percentage of users (`phased`). On a `phased` version it raises "
                "the percentage, which may only go up (400 on `percentage` otherwise); 100 finishes the release. "
                "A phased release is for updates: a program's first release below 100 % is 409 `wrong_state` (the "
                "other users would get nothing). Any other status is 409 `wrong_state`.",
    examples=[OpenApiExample("phased", request_only=True, value={"percentage": 10})])
class ReleaseApi(_VersionAction):
    input_serializer = ReleaseInput

    def act(self, version, actor, api_key, **data):
        return version_release(version=version, actor=actor, api_key=api_key, percentage=data["percentage"])


@extend_schema(request=None, responses=_answer("Cancelled: the version is `approved` again; everyone gets the "
                                               "current release."),
               summary="Cancel a phased release",
               description="Stops a `phased` release; the version can be released again later.")
class CancelReleaseApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_cancel_phase(version=version, actor=actor, api_key=api_key)


@extend_schema(
    request=None, responses=_answer("Rolled back: this version is `released` again; the one it replaces is "
                                    "`rolled_back`."),
    summary="Roll back to this (previously released) version",
    description="Makes this version, one of the program's last 5 released versions, the release everyone gets. "
                "Refused with 409 `wrong_state` during a phased release, when nothing is released, for the "
                "version that is live now, for a rolled-back version (never a target again) and for older ones.")
class RollbackApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return program_rollback(program=version.program, target=version, actor=actor, api_key=api_key)
