"""The distribution API: the scene catalog, a program's matrix and whitelist requests (org keys or session),
and the operators' queue, decisions and revocations (session only: API keys belong to organisations)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_errors import error_response
from console.models import ApiKey
from console.parsers import StrictJSONParser
from console.roles import Scope
from distribution import selectors, services
from distribution.serializers import (
    DistributionHostOutput,
    GrantPlacementInput,
    GrantRevokeInput,
    GrantTermsInput,
    SceneRuleOutput,
    WhitelistDecisionInput,
    WhitelistGrantOutput,
    WhitelistQueueItemOutput,
    WhitelistQueueQuery,
    WhitelistRequestInput,
    WhitelistRequestOutput,
)
from programs.apis import ProgramAccessMixin


def _not_eligible(exc: services.NotEligible) -> Response:
    return error_response(exc.refusal.code, exc.refusal.message, status.HTTP_400_BAD_REQUEST,
                          {"scene": [exc.refusal.message]})


class SceneListApi(ListAPIView):
    serializer_class = SceneRuleOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.scenes()

    @extend_schema(summary="Every host's scenes with their rules",
                   responses=OpenApiResponse(SceneRuleOutput(many=True), description="The scenes of every active "
                                             "host, each with its status and the rule a program must meet."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DistributionApi(ProgramAccessMixin, APIView):
    @extend_schema(responses=OpenApiResponse(DistributionHostOutput(many=True), description="Each host with each "
                                             "of its scenes and the program's state there."),
                   summary="Every host × scene with its state for a program",
                   description="States: open, eligible, not_eligible (with `reason`), requested, granted, expiring, "
                               "expired, rejected, revoked. Reasons: scene_paused, host_inactive, not_released, "
                               "not_approved_for_host, org_not_verified, category_not_allowed, not_service_type.")
    def get(self, request, appid):
        program, _membership = self.program(appid)
        return Response(DistributionHostOutput(selectors.program_distribution(program), many=True).data)


class WhitelistRequestListApi(ProgramAccessMixin, APIView):
    write_scope = Scope.DISTRIBUTION_WRITE
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=OpenApiResponse(WhitelistRequestOutput(many=True), description="The program's "
                                             "whitelist requests, newest first, each with its status and grant."),
                   summary="The program's whitelist requests, newest first")
    def get(self, request, appid):
        program, _membership = self.program(appid)
        requests = selectors.program_requests(program).select_related("grant").prefetch_related("evidence")
        return Response(WhitelistRequestOutput(requests, many=True).data)

    @extend_schema(
        request={"application/json": WhitelistRequestInput, "multipart/form-data": WhitelistRequestInput},
        responses={201: OpenApiResponse(WhitelistRequestOutput, description="The new request, `pending` (a "
                                                                            "renewal names the grant it carries "
                                                                            "over in `renewal_of`)."),
                   400: OpenApiResponse(description="`code` is the eligibility reason "
                                                                        "(e.g. `not_service_type`) or `invalid`."),
                   409: OpenApiResponse(description="A request for this scene is already pending.")},
        summary="Request a whitelist scene (a renewal when the program's grant expires soon)",
        examples=[OpenApiExample("request", request_only=True, value={
            "scene": "weibo.profile", "justification": "Our bike-sharing card for the city's official accounts."})],
    )
    def post(self, request, appid):
        program, _membership = self.program(appid)
        data = WhitelistRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = services.whitelist_request_create(
                program=program, scene=data.validated_data["scene"], actor=request.user, api_key=self.api_key(),
                justification=data.validated_data["justification"], evidence=data.validated_data["evidence"])
        except services.NotEligible as exc:
            return _not_eligible(exc)
        return Response(WhitelistRequestOutput(created).data, status=status.HTTP_201_CREATED)


class WhitelistRequestDetailApi(ProgramAccessMixin, APIView):
    write_scope = Scope.DISTRIBUTION_WRITE

    @extend_schema(responses=OpenApiResponse(WhitelistRequestOutput, description="The request: its status, the "
                                             "decision's reason and text, and its grant once approved."),
                   summary="One whitelist request")
    def get(self, request, appid, request_id):
        program, _membership = self.program(appid)
        return Response(WhitelistRequestOutput(selectors.request_for_program(program, request_id)).data)


class WhitelistRequestWithdrawApi(ProgramAccessMixin, APIView):
    write_scope = Scope.DISTRIBUTION_WRITE
    error_statuses = {409: "`wrong_state`: the request is no longer pending; `conflict`: someone else decided it "
                           "a moment ago."}

    @extend_schema(request=None, summary="Withdraw a pending request",
                   responses=OpenApiResponse(WhitelistRequestOutput, description="The request, now `withdrawn`."))
    def post(self, request, appid, request_id):
        program, _membership = self.program(appid)
        obj = selectors.request_for_program(program, request_id)
        services.whitelist_request_withdraw(request=obj, actor=request.user, api_key=self.api_key())
        return Response(WhitelistRequestOutput(obj).data)


# ---------------------------------------------------------------- operators


class IsPlatformOperator(permissions.BasePermission):
    message = "Only platform operators signed in to the console can use the distribution queue."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not isinstance(request.auth, ApiKey)
                    and user.is_platform_operator)


class OperatorQueueApi(ListAPIView):
    permission_classes = [IsPlatformOperator]
    query_params = tuple(WhitelistQueueQuery().fields)
    accepts_api_keys = False  # the schema names the session only
    serializer_class = WhitelistQueueItemOutput

    def get_queryset(self):
        query = WhitelistQueueQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.operator_queue(operator=self.request.user, filters=query.filters())

    @extend_schema(parameters=[WhitelistQueueQuery], summary="Pending whitelist requests on your hosts, oldest first",
                   responses=OpenApiResponse(WhitelistQueueItemOutput, description="A page of pending requests on "
                                             "the hosts you work, each with its program and organisation."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OperatorDecisionApi(APIView):
    permission_classes = [IsPlatformOperator]
    accepts_api_keys = False  # the schema names the session only

    @extend_schema(
        request=WhitelistDecisionInput,
        responses={201: OpenApiResponse(WhitelistRequestOutput, description="The request as decided: `approved` "
                                                                            "with its `grant_id`, or `rejected` "
                                                                            "with the reason."),
                   409: OpenApiResponse(description="Already decided.")},
        summary="Approve (with validity, caps, rollout and placements) or reject (with a reason) a request",
        examples=[OpenApiExample("approve with two accounts", request_only=True, value={
            "decision": "approve", "valid_until": "2027-01-31T23:59:00+08:00", "share_cap": 1,
            "share_window_seconds": 3600, "placements": [
                {"account_uid": "1669879400", "account_name": "City Daily"},
                {"account_uid": "2803301701", "account_name": "Bike Club"}]})],
    )
    def post(self, request, request_id):
        obj = selectors.request_for_operator(request.user, request_id)
        data = WhitelistDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            if d["decision"] == "approve":
                services.whitelist_approve(
                    request=obj, operator=request.user, valid_until=d["valid_until"], share_cap=d.get("share_cap"),
                    share_window_seconds=d.get("share_window_seconds"), daily_cap=d.get("daily_cap"),
                    rollout_percent=d.get("rollout_percent"), text=d["text"],
                    placements=[dict(p) for p in d["placements"]] if d["placements"] is not None else None)
            else:
                services.whitelist_reject(request=obj, operator=request.user, reason=d["reason"], text=d["text"])
        except services.NotEligible as exc:
            return _not_eligible(exc)
        fresh = selectors.request_for_operator(request.user, request_id)
        return Response(WhitelistRequestOutput(fresh).data, status=status.HTTP_201_CREATED)


class OperatorRevokeApi(APIView):
    permission_classes = [IsPlatformOperator]
    accepts_api_keys = False  # the schema names the session only
    error_statuses = {409: "`wrong_state`: the grant is not live any more; `conflict`: someone else changed it a "
                           "moment ago."}

    @extend_schema(request=GrantRevokeInput, summary="Revoke a live grant (the gate refuses at once)",
                   responses=OpenApiResponse(WhitelistGrantOutput, description="The grant, now `revoked`, with the "
                                                                               "reason."))
    def post(self, request, grant_id):
        grant = selectors.grant_for_operator(request.user, grant_id)
        data = GrantRevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_revoke(grant=grant, operator=request.user, **data.validated_data)
        return Response(WhitelistGrantOutput(grant).data)


class OperatorTermsApi(APIView):
    permission_classes = [IsPlatformOperator]
    accepts_api_keys = False  # the schema names the session only
    error_statuses = {409: "`wrong_state` or `conflict`: the grant is not live any more."}

    @extend_schema(request=GrantTermsInput,
                   responses=OpenApiResponse(WhitelistGrantOutput, description="The grant with its new caps and "
                                                                               "rollout."),
                   summary="Change a live grant's caps and rollout without revoking it")
    def put(self, request, grant_id):
        grant = selectors.grant_for_operator(request.user, grant_id)
        data = GrantTermsInput(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_set_terms(grant=grant, operator=request.user, **data.validated_data)
        return Response(WhitelistGrantOutput(grant).data)


class OperatorPlacementsApi(APIView):
    permission_classes = [IsPlatformOperator]
    accepts_api_keys = False  # the schema names the session only

    @extend_schema(request=GrantPlacementInput(many=True),
                   responses=OpenApiResponse(WhitelistGrantOutput, description="The grant with its new placements."),
                   summary="Replace a live grant's placements (accounts, topics or campaigns)")
    def put(self, request, grant_id):
        grant = selectors.grant_for_operator(request.user, grant_id)
        data = GrantPlacementInput(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        grant = services.grant_set_placements(grant=grant, operator=request.user,
                                              placements=[dict(p) for p in data.validated_data])
        return Response(WhitelistGrantOutput(grant).data)
