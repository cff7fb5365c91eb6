"""Webhook endpoints in the API: what the organisation's webhooks pages do, for infrastructure kept as code.

Every call needs the `webhooks:write` scope (or a session whose role manages the organisation), reading
too: an endpoint's deliveries carry the events' data, and its secret signs what receivers trust. The
secret is in the answers that make it (create, roll the secret), as the pages show it to copy.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from console.api_access import OrganisationApiMixin
from console.api_fields import ChoiceField, StrictInput
from console.models import NotificationEvent, WebhookDelivery, WebhookEndpoint
from console.notify.selectors import (
    webhook_deliveries,
    webhook_delivery_for_endpoint,
    webhook_endpoint_for_member,
    webhook_endpoints_for_org,
)
from console.notify.webhooks import (
    PING_EVENT,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_roll_secret,
    webhook_endpoint_set_active,
    webhook_endpoint_update,
    webhook_ping,
    webhook_redeliver,
)
from console.roles import Scope

EVENTS_HELP = "The events to send, at least one: " + ", ".join(f"`{e}`" for e in NotificationEvent.values) + "."


class WebhookInput(StrictInput, serializers.Serializer):
    url = serializers.URLField(max_length=WebhookEndpoint._meta.get_field("url").max_length,
                                help_text="Where deliveries are POSTed: an https:// URL.")
    events = serializers.ListField(child=ChoiceField(choices=NotificationEvent.values), min_length=1,
                                   max_length=len(NotificationEvent.values), help_text=EVENTS_HELP,
                                   error_messages={"min_length": _("Choose at least one event.")})
    description = serializers.CharField(max_length=WebhookEndpoint._meta.get_field("description").max_length,
                                        required=False, allow_blank=True, default="",
                                        help_text="What receives them, for the people who read the list.")
    active = serializers.BooleanField(required=False, default=True,
                                      help_text="false stops deliveries to it (a ping still goes).")


class WebhookPatchInput(WebhookInput):
    pass


class WebhookOutput(serializers.ModelSerializer):
    url = serializers.CharField(help_text="Where deliveries are POSTed.")
    href = serializers.SerializerMethodField(help_text="This endpoint in the API.")
    active = serializers.BooleanField(source="is_active")
    events = serializers.ListField(child=serializers.ChoiceField(choices=NotificationEvent.values))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "href", "url", "description", "events", "active", "created_at"]

    def get_href(self, endpoint) -> str:
        return reverse("api_webhook", args=[endpoint.organisation.slug, endpoint.pk], request=self.context["request"])


class WebhookWithSecretOutput(WebhookOutput):
    secret = serializers.CharField(help_text="The signing secret: each delivery's `X-Console-Signature` is "
                                             "`sha256=` HMAC-SHA256 under it of `\"<timestamp>.<body>\"`. Keep it "
                                             "in the receiver's configuration.")

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]


class DeliveryOutput(serializers.ModelSerializer):
    event = serializers.CharField(help_text=f"The event's name, or `{PING_EVENT}` for a test ping.")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.values)
    redelivery_of = serializers.UUIDField(source="redelivery_of_id", allow_null=True,
                                          help_text="The delivery this one sends again; null for a first one.")
    attempt_log = serializers.ListField(child=serializers.DictField(), help_text="One entry per attempt: "
                                        "number, time, response code, error.")
    payload = serializers.JSONField(help_text="The JSON body the receiver gets.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "attempts", "response_code", "response_body", "error", "attempt_log",
                  "next_retry_at", "last_attempt_at", "delivered_at", "created_at", "redelivery_of", "payload"]


class _WebhookAccess(OrganisationApiMixin):
    # (A comment, not a docstring: the schema would show a docstring as every operation's description.)
    required_scope = Scope.WEBHOOKS_WRITE

    def endpoint(self) -> WebhookEndpoint:
        return webhook_endpoint_for_member(self.membership(), self.kwargs["endpoint_id"])


class WebhookListApi(_WebhookAccess, ListAPIView):
    serializer_class = WebhookOutput
    error_statuses = {409: "`limit_reached`: the organisation has 20 endpoints already."}

    def get_queryset(self):
        return webhook_endpoints_for_org(self.membership().organisation).select_related("organisation")

    @extend_schema(summary="List the organisation's webhook endpoints",
                   responses=OpenApiResponse(WebhookOutput, description="A page of endpoints, newest first."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=WebhookInput, summary="Add a webhook endpoint",
                   responses={201: OpenApiResponse(WebhookWithSecretOutput, description="Added, with its signing "
                                                                                        "secret.")})
    def post(self, request, org_slug):
        membership = self.membership()
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(organisation=membership.organisation, actor=request.user,
                                           api_key=self.api_key(), **data.validated_data)
        response = self.answer(WebhookWithSecretOutput, endpoint, status.HTTP_201_CREATED)
        response["Location"] = response.data["href"]
        return response


class WebhookDetailApi(_WebhookAccess, APIView):
    @extend_schema(summary="Read a webhook endpoint",
                   responses=OpenApiResponse(WebhookOutput, description="The endpoint (without its secret: rolling "
                                                                        "it answers a new one)."))
    def get(self, request, org_slug, endpoint_id):
        return self.answer(WebhookOutput, self.endpoint())

    @extend_schema(request=WebhookPatchInput, summary="Edit a webhook endpoint",
                   responses=OpenApiResponse(WebhookOutput, description="The endpoint as it is after the edit."))
    def patch(self, request, org_slug, endpoint_id):
        endpoint = self.endpoint()
        data = WebhookPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        active = fields.pop("active", None)
        if fields:
            changed = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description, **fields}
            endpoint = webhook_endpoint_update(endpoint=endpoint, actor=request.user, api_key=self.api_key(),
                                               **changed)
        if active is not None:
            endpoint = webhook_endpoint_set_active(endpoint=endpoint, actor=request.user, api_key=self.api_key(),
                                                   active=active)
        return self.answer(WebhookOutput, endpoint)

    @extend_schema(summary="Delete a webhook endpoint",
                   responses={204: OpenApiResponse(description="Deleted, with its delivery log.")})
    def delete(self, request, org_slug, endpoint_id):
        webhook_endpoint_delete(endpoint=self.endpoint(), actor=request.user, api_key=self.api_key())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRollSecretApi(_WebhookAccess, APIView):
    @extend_schema(request=None, summary="Give a webhook endpoint a new signing secret",
                   responses=OpenApiResponse(WebhookWithSecretOutput, description="The endpoint with its new "
                                             "secret; deliveries are signed with it from now on."))
    def post(self, request, org_slug, endpoint_id):
        endpoint = webhook_endpoint_roll_secret(endpoint=self.endpoint(), actor=request.user, api_key=self.api_key())
        return self.answer(WebhookWithSecretOutput, endpoint)


class WebhookPingApi(_WebhookAccess, APIView):
    error_statuses = {409: "`limit_reached`: 5 test pings a minute per endpoint; `Retry-After` says when the next one "
                           "may go."}
    @extend_schema(request=None, summary="Send a test ping to a webhook endpoint",
                   responses={202: OpenApiResponse(DeliveryOutput, description="Queued (even to a disabled "
                                                   "endpoint); its attempts show in the delivery.")})
    def post(self, request, org_slug, endpoint_id):
        delivery = webhook_ping(endpoint=self.endpoint(), actor=request.user, api_key=self.api_key())
        return self.answer(DeliveryOutput, delivery, status.HTTP_202_ACCEPTED)


class DeliveryQuery(serializers.Serializer):
    status = ChoiceField(choices=WebhookDelivery.Status.values, required=False, allow_blank=True, default="")
    event = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class DeliveryListApi(_WebhookAccess, ListAPIView):
    serializer_class = DeliveryOutput
    query_params = ("status", "event")

    def get_queryset(self):
        endpoint = self.endpoint()  # an outsider's 404 before any word on their query
        query = DeliveryQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return webhook_deliveries(endpoint, **query.validated_data)

    @extend_schema(summary="List a webhook endpoint's deliveries",
                   parameters=[
                       OpenApiParameter("status", str, enum=WebhookDelivery.Status.values,
                                        description="Only deliveries in this status."),
                       OpenApiParameter("event", str, description=f"Only this event (`{PING_EVENT}` for pings)."),
                   ],
                   responses=OpenApiResponse(DeliveryOutput, description="A page of deliveries, newest first, "
                                                                         "with each attempt."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RedeliverApi(_WebhookAccess, APIView):
    @extend_schema(request=None, summary="Send a delivery again",
                   responses={202: OpenApiResponse(DeliveryOutput, description="A new delivery of the same body "
                                                   "(same event id), queued.")})
    def post(self, request, org_slug, endpoint_id, delivery_id):
        delivery = webhook_delivery_for_endpoint(self.endpoint(), delivery_id)
        again = webhook_redeliver(delivery=delivery, actor=request.user, api_key=self.api_key())
        return self.answer(DeliveryOutput, again, status.HTTP_202_ACCEPTED)
