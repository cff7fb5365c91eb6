"""API views for the caller's identity, organisation and audit log (members: `console.member_apis`)."""

from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_access import ScopedOrganisationMixin
from console.api_errors import error_response
from console.roles import Scope
from console.selectors import audit_events_for_org


class OrganisationOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    verified = serializers.BooleanField()
    role = serializers.CharField(help_text="The caller's role in this organisation.")


class MeOutput(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organisations = OrganisationOutput(many=True)
    api_key = serializers.DictField(allow_null=True, help_text="The key used for this call, if any.")


def _organisation_data(membership) -> dict:
    org = membership.organisation
    return {"slug": org.slug, "name": org.name, "kind": org.kind, "verified": org.verified, "role": membership.role}


class MeApi(ScopedOrganisationMixin, APIView):
    """Who the caller is and which organisations the call can reach (one, with an API key)."""

    @extend_schema(responses=OpenApiResponse(MeOutput, description="The caller, the organisations the call reaches "
                                                                  "with the caller's role in each, and the API key "
                                                                  "used (null with a session)."),
                   summary="The caller and their organisations")
    def get(self, request):
        key = self.api_key()
        return Response({
            "email": request.user.email,
            "full_name": request.user.full_name,
            "organisations": [_organisation_data(m) for m in self.reachable_memberships()],
            "api_key": {"name": key.name, "prefix": key.prefix, "scopes": key.scopes} if key else None,
        })


class AuditEventOutput(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="shown_actor", help_text="Platform staff appear as “Platform review” or “Platform”.")
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target = serializers.CharField(source="target_label")
    before = serializers.JSONField()
    after = serializers.JSONField()


class AuditEventListApi(ScopedOrganisationMixin, ListAPIView):
    """The organisation's audit log, newest first; filter with `action` (prefix), `actor`, `target_type`."""

    serializer_class = AuditEventOutput
    required_scope = Scope.ORG_READ
    query_params = ("action", "actor", "target_type")

    def get_queryset(self):
        membership = self.membership_for(self.kwargs["org_slug"])
        params = self.request.query_params
        return audit_events_for_org(
            membership.organisation,
            action=params.get("action", ""), actor=params.get("actor", ""), target_type=params.get("target_type", ""),
        )

    @extend_schema(summary="The organisation's audit log",
                   parameters=[
                       OpenApiParameter("action", str, description="Actions starting so, e.g. `version.` or "
                                                                   "`version.submit`."),
                       OpenApiParameter("actor", str, description="Who acted: part of an email address or name, any "
                                                                  "case."),
                       OpenApiParameter("target_type", str, description="What was acted on, as each event's "
                                                                        "`target_type` names it, e.g. `programs.version`."),
                   ],
                   responses=OpenApiResponse(AuditEventOutput, description="A page of the organisation's audit "
                                                                           "events, newest first, with what each "
                                                                           "changed (`before`, `after`)."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(exclude=True)  # above @api_view, or drf-spectacular warns (W002) and `check --deploy` fails
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the API's error shape, not with an HTML page."""
    if not request.path_info.endswith("/") and _is_an_endpoint(request.path_info + "/"):
        return error_response("not_found", gettext("No API endpoint at this path; every path ends with a slash: "
                                                   "%(path)s") % {"path": f"{request.path}/"}, 404)
    return error_response("not_found", gettext("No API endpoint at this path."), 404)


def _is_an_endpoint(path: str) -> bool:
    try:
        return resolve(path).func is not api_not_found
    except Resolver404:
        return False
