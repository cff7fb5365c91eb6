"""Members, invitations and API keys in the API: what the members and API keys pages do, for teams that
keep who-has-access as code (onboarding scripts, an offboarding checklist, revoking a leaked key).

Reading the members needs `org:read`; changing them, and every invitation call, `members:write`; the key
calls `api_keys:write`. Keys are created on the API keys page only: a key that could mint keys would let a
leaked one outlive its own revocation.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_access import OrganisationApiMixin
from console.api_fields import ChoiceField, StrictInput
from console.exceptions import WrongState
from console.models import ApiKey, Invitation, Membership
from console.roles import Role, Scope
from console.selectors import (
    api_key_for_member,
    invitation_in_org,
    membership_in_org,
    organisation_api_keys,
    organisation_members,
    organisation_pending_invitations,
)
from console.services import (
    api_key_revoke,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)


class MemberOutput(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "joined_at"]


class MemberQuery(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    role = ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="")


class MemberRoleInput(StrictInput, serializers.Serializer):
    role = ChoiceField(choices=Role.choices, help_text="The member's new role. Admins give any role but owner; "
                                                      "owners give any.")


class MemberListApi(OrganisationApiMixin, ListAPIView):
    serializer_class = MemberOutput
    required_scope = Scope.ORG_READ
    query_params = ("email", "role")

    def get_queryset(self):
        members = organisation_members(self.membership().organisation)
        query = MemberQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["email"]:
            members = members.filter(user__email=query.validated_data["email"].strip().lower())
        if query.validated_data["role"]:
            members = members.filter(role=query.validated_data["role"])
        return members

    @extend_schema(summary="The organisation's members",
                   parameters=[OpenApiParameter("email", str, description="Only the member with this email address "
                                                                          "(any case)."),
                               OpenApiParameter("role", str, enum=Role.values, description="Only members with "
                                                                                           "this role.")],
                   responses=OpenApiResponse(MemberOutput, description="A page of the organisation's members, by "
                                                                       "email address, with their roles."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberDetailApi(OrganisationApiMixin, APIView):
    read_scope = Scope.ORG_READ
    write_scope = Scope.MEMBERS_WRITE
    error_statuses = {method: {409: "`wrong_state`: the organisation's last owner cannot be demoted or removed."}
                      for method in ("PATCH", "DELETE")}

    def member(self, membership) -> Membership:
        return membership_in_org(membership.organisation, self.kwargs["member_id"])

    @extend_schema(summary="Read a member", responses=OpenApiResponse(MemberOutput, description="The member."))
    def get(self, request, org_slug, member_id):
        return self.answer(MemberOutput, self.member(self.membership()))

    @extend_schema(request=MemberRoleInput, summary="Change a member's role",
                   responses=OpenApiResponse(MemberOutput, description="The member with the new role. Invitations "
                                             "they sent to roles they can no longer give are revoked."))
    def patch(self, request, org_slug, member_id):
        membership = self.membership()
        target = self.member(membership)
        data = MemberRoleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if "role" in data.validated_data:  # the same role again changes nothing, and tells nobody
            target = membership_change_role(membership=target, actor=request.user, role=data.validated_data["role"],
                                            api_key=self.api_key())
        return self.answer(MemberOutput, target)

    @extend_schema(summary="Remove a member",
                   responses={204: OpenApiResponse(description="Removed. Their API keys and the invitations they "
                                                               "sent are revoked, and the webhooks they added "
                                                               "paused. Removing the key's own member ends the key.")})
    def delete(self, request, org_slug, member_id):
        membership = self.membership()
        membership_remove(membership=self.member(membership), actor=request.user, api_key=self.api_key())
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationOutput(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True,
                                        help_text="The member who sent it.")

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]


class InvitationInput(StrictInput, serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="Where the invitation is emailed; a pending "
                                                             "invitation to the same address stops working.")
    role = ChoiceField(choices=Role.choices, help_text="The role they get on accepting. Admins invite to any role "
                                                      "but owner; owners to any.")


class InvitationListApi(OrganisationApiMixin, ListAPIView):
    serializer_class = InvitationOutput
    required_scope = Scope.MEMBERS_WRITE
    error_statuses = {"POST": {
        403: "The API key lacks the scope, the caller's role does not allow it or cannot give this role (only an "
             "owner invites owners), the caller's email address is not confirmed yet, or the session's CSRF token "
             "is missing.",
        409: "`limit_reached`: the organisation's invitations an hour are used up; `Retry-After` says when the next "
             "may go.",
    }}

    def get_queryset(self):
        return organisation_pending_invitations(self.membership().organisation)

    @extend_schema(summary="The organisation's pending invitations",
                   responses=OpenApiResponse(InvitationOutput, description="A page of the invitations not yet "
                                                                           "accepted, revoked or expired, newest "
                                                                           "first."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InvitationInput, summary="Invite someone by email",
                   responses={201: OpenApiResponse(InvitationOutput, description="Sent: the email with its "
                                                   "single-use link is on its way. The link itself is never "
                                                   "in an answer.")})
    def post(self, request, org_slug):
        membership = self.membership()
        data = InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = invitation_create(
            org=membership.organisation, email=data.validated_data["email"], role=data.validated_data["role"],
            invited_by=request.user, api_key=self.api_key(),
            accept_url_builder=lambda token: request.build_absolute_uri(reverse("invitation_accept", args=[token])),
        )
        return self.answer(InvitationOutput, invitation, status.HTTP_201_CREATED)


class InvitationDetailApi(OrganisationApiMixin, APIView):
    required_scope = Scope.MEMBERS_WRITE
    error_statuses = {409: "`wrong_state`: the invitation was accepted already; remove the member instead."}

    @extend_schema(summary="Revoke an invitation",
                   responses={204: OpenApiResponse(description="Revoked: its link no longer works (also when it was "
                                                               "revoked or had expired already).")})
    def delete(self, request, org_slug, invitation_id):
        membership = self.membership()
        invitation = invitation_in_org(membership.organisation, invitation_id)
        if invitation.accepted_at is not None:
            raise WrongState(_("The invitation to %(email)s was accepted already; remove the member instead.")
                             % {"email": invitation.email})
        invitation_revoke(invitation=invitation, actor=request.user, api_key=self.api_key(),
                          actor_role=membership.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyOutput(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", allow_null=True,
                                        help_text="The member whose role the key acts with.")
    active = serializers.BooleanField(source="is_active")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.values))

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at",
                  "active"]


class ApiKeyListApi(OrganisationApiMixin, ListAPIView):
    serializer_class = ApiKeyOutput
    required_scope = Scope.API_KEYS_WRITE

    def get_queryset(self):
        return organisation_api_keys(self.membership().organisation)

    @extend_schema(summary="The organisation's API keys",
                   responses=OpenApiResponse(ApiKeyOutput, description="A page of keys, active ones first, newest "
                                                                       "first; a key's secret is never shown again. "
                                                                       "Keys are created on the API keys page."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ApiKeyDetailApi(OrganisationApiMixin, APIView):
    required_scope = Scope.API_KEYS_WRITE

    def key(self) -> ApiKey:
        return api_key_for_member(self.membership(), self.kwargs["key_id"])

    @extend_schema(summary="Read an API key", responses=OpenApiResponse(ApiKeyOutput, description="The key."))
    def get(self, request, org_slug, key_id):
        return self.answer(ApiKeyOutput, self.key())

    @extend_schema(summary="Revoke an API key",
                   responses={204: OpenApiResponse(description="Revoked (also when it was already): calls with it "
                                                               "are refused from now on. A key may revoke itself.")})
    def delete(self, request, org_slug, key_id):
        api_key_revoke(api_key=self.key(), actor=request.user, by_key=self.api_key())
        return Response(status=status.HTTP_204_NO_CONTENT)
