"""Lifecycle actions in the API: submit, withdraw, trial, release (phased), cancel, rollback."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

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
from programs.selectors import version_for_user
from programs.serializers import VersionOutput


class SubmitInput(serializers.Serializer):
    notes = serializers.CharField(max_length=Version._meta.get_field("submit_notes").max_length, required=False,
                                  allow_blank=True, default="",
                                  help_text="Notes for the reviewer.")
    test_account = serializers.CharField(max_length=Version._meta.get_field("test_account").max_length,
                                         required=False, allow_blank=True, default="",
                                         help_text="A login the reviewer can use inside the mini-program.")
    expedited = serializers.BooleanField(required=False, default=False,
                                         help_text="Ask for expedited review (monthly quota).")


class ReleaseInput(serializers.Serializer):
    percentage = serializers.IntegerField(min_value=1, max_value=100, required=False, default=100,
                                          help_text="100 releases to everyone; less starts or raises a phased release.")


class _VersionAction(ProgramAccessMixin, APIView):
    """POST to act on one version; answers with the version as it is afterwards."""

    input_serializer: type[serializers.Serializer] | None = None
    error_statuses = {
        400: "The version's status or a limit does not allow this now (the message says why).",
        409: "Someone else changed the version a moment ago.",
    }

    def post(self, request, appid, version):
        self.program(appid)  # 404 for outsiders, 403 without programs:write
        obj, _ = version_for_user(request.user, appid, version, api_key=self.api_key())
        data = {}
        if self.input_serializer:
            parsed = self.input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = parsed.validated_data
        result = self.act(obj, request.user, self.api_key(), **data)
        return Response(VersionOutput(result, context={"request": request}).data)

    def act(self, version, actor, api_key, **data):
        raise NotImplementedError


@extend_schema(request=SubmitInput, responses=VersionOutput, summary="Submit a ready version for review",
               examples=[OpenApiExample("submit", request_only=True,
                                        value={"notes": "Login with the test account", "test_account": "demo / 1234"})])
class SubmitApi(_VersionAction):
    input_serializer = SubmitInput

    def act(self, version, actor, api_key, **data):
        return version_submit(version=version, actor=actor, api_key=api_key, **data)


@extend_schema(request=None, responses=VersionOutput, summary="Withdraw a submission (5 a day, 10 a month)")
class WithdrawApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_withdraw(version=version, actor=actor, api_key=api_key)


@extend_schema(request=None, responses=VersionOutput, summary="Make this version the trial version")
class TrialApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_set_trial(version=version, actor=actor, api_key=api_key)


@extend_schema(request=ReleaseInput, responses=VersionOutput,
               summary="Release an approved version, fully or phased; raise a phased release")
class ReleaseApi(_VersionAction):
    input_serializer = ReleaseInput

    def act(self, version, actor, api_key, **data):
        return version_release(version=version, actor=actor, api_key=api_key, percentage=data["percentage"])


@extend_schema(request=None, responses=VersionOutput, summary="Cancel a phased release")
class CancelReleaseApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return version_cancel_phase(version=version, actor=actor, api_key=api_key)


@extend_schema(request=None, responses=VersionOutput, summary="Roll back to this (previously released) version")
class RollbackApi(_VersionAction):
    def act(self, version, actor, api_key, **data):
        return program_rollback(program=version.program, target=version, actor=actor, api_key=api_key)
