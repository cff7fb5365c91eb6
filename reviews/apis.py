"""The reviews API: the reviewer queue, claims and decisions (session only), and the version thread."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_errors import error_response
from console.models import ApiKey
from programs.apis import ProgramAccessMixin
from programs.selectors import version_for_user
from reviews import selectors, services
from reviews.serializers import (
    ClaimOutput,
    DecisionInput,
    DecisionOutput,
    MessageInput,
    MessageOutput,
    QueueItemOutput,
    QueueQuery,
)

ERRORS = {
    403: OpenApiResponse(description="Not a reviewer, an API key (reviewers use the session), or your own "
                                     "organisation's version."),
    404: OpenApiResponse(description="No submitted version with this id."),
}


class IsReviewer(permissions.BasePermission):
    """Staff reviewers signed in with the session. API keys belong to organisations, never to staff."""

    message = "Only reviewers signed in to the console can use the review API."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not isinstance(request.auth, ApiKey) and user.is_reviewer)


class ReviewerApi(APIView):
    permission_classes = [IsReviewer]
    accepts_api_keys = False  # documented in the schema: the session only

    def version(self, version_id: int):
        return selectors.version_for_review(self.request.user, version_id)


class ReviewQueueApi(ReviewerApi, ListAPIView):
    serializer_class = QueueItemOutput
    query_params = tuple(QueueQuery().fields)
    error_statuses = {400: "A filter is not valid (`fields` says which)."}

    def get_queryset(self):
        query = QueueQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.review_queue(reviewer=self.request.user, filters=query.filters())

    def list(self, request, *args, **kwargs):
        ids = self.paginate_queryset(self.get_queryset().values_list("pk", flat=True))
        rows = selectors.queue_rows(list(ids))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(parameters=[QueueQuery], summary="The review queue: waiting versions, due first",
                   responses=OpenApiResponse(QueueItemOutput, description="A page of waiting versions (due first "
                                                                          "unless `sort` says otherwise), each with "
                                                                          "its risk score and who claims it."),
                   description="Versions in review and not waiting for their developer, never those of the "
                               "reviewer's own organisations. Paginated (`page`, `page_size`).")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReviewClaimApi(ReviewerApi):
    @extend_schema(
        request=None, summary="Claim a version (a lock that expires; POST again to extend it)",
        responses={200: OpenApiResponse(ClaimOutput, description="Your claim, with when it expires."), 400: OpenApiResponse(description="`claim_limit`: you hold the most claims "
                                                                      "allowed."),
                   409: OpenApiResponse(description="`conflict`: another reviewer holds it; `wrong_state`: the "
                                                    "version is not in review, or waits for its developer."),
                   **ERRORS},
    )
    def post(self, request, version_id):
        version = self.version(version_id)
        try:
            claim = services.review_claim(version=version, reviewer=request.user)
        except services.ClaimLimitReached as exc:
            return error_response("claim_limit", exc.messages[0], status.HTTP_400_BAD_REQUEST)
        return Response(ClaimOutput(claim).data)

    @extend_schema(request=None, summary="Release your claim", responses={
        204: OpenApiResponse(description="No body: you hold no claim on the version now (also when you held none)."),
        **ERRORS})
    def delete(self, request, version_id):
        services.review_claim_release(version=self.version(version_id), reviewer=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewDecisionApi(ReviewerApi):
    @extend_schema(
        request=DecisionInput, summary="Decide: approve, reject or request changes",
        responses={201: OpenApiResponse(DecisionOutput, description="The decision, with the version's status "
                                                                    "after it."), 400: OpenApiResponse(description="Invalid input, e.g. a rejection "
                                                                         "without a reason."),
                   409: OpenApiResponse(description="Someone else decided first, or holds the claim."), **ERRORS},
        examples=[
            OpenApiExample("approve for two hosts", request_only=True,
                           value={"decision": "approve", "hosts": ["alipay", "weibo"]}),
            OpenApiExample("reject", request_only=True, value={
                "decision": "reject", "reasons": ["privacy-policy-missing"],
                "text": "The program reads the location but has no privacy policy."}),
            OpenApiExample("request changes", request_only=True, value={
                "decision": "request_changes", "text": "The test account does not log in; please send a new one."}),
        ],
    )
    def post(self, request, version_id):
        version = self.version(version_id)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.review_decide(version=version, reviewer=request.user, **data.validated_data)
        return Response(DecisionOutput(decision).data, status=status.HTTP_201_CREATED)


class VersionMessagesApi(ProgramAccessMixin, APIView):
    """The developer side of the review thread, reached through the caller's organisation (others get 404)."""

    def _version(self, appid: str, version: str):
        self.program(appid)  # 404 for outsiders; programs:read to list, programs:write to post
        obj, _membership = version_for_user(self.request.user, appid, version, api_key=self.api_key())
        return obj

    @extend_schema(responses=OpenApiResponse(MessageOutput(many=True), description="The thread's messages, "
                                             "reviewers' and the developers', oldest first."),
                   summary="The review thread of a version",
                   parameters=[OpenApiParameter("version", OpenApiTypes.STR, OpenApiParameter.PATH)])
    def get(self, request, appid, version):
        obj = self._version(appid, version)
        return Response(MessageOutput(selectors.thread(obj), many=True).data)

    @extend_schema(request=MessageInput, summary="Answer the reviewers",
                   responses={201: OpenApiResponse(MessageOutput, description="The message posted (or, for a "
                                                                              "repeat, the one already posted)."),
                              409: OpenApiResponse(description="`wrong_state`: the version was never submitted for "
                                                               "review, so it has no thread.")},
                   description="An answer to a request for changes puts the version back in the review queue. "
                               "The same body posted again by the same caller on this version within a minute "
                               "(a double click, a retry) is not stored twice: the answer is the message already "
                               "posted.",
                   examples=[OpenApiExample("answer", request_only=True,
                                            value={"body": "Fixed: the test account is demo / demo-1234."})])
    def post(self, request, appid, version):
        obj = self._version(appid, version)
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.review_message_post(version=obj, author=request.user, body=data.validated_data["body"])
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)
