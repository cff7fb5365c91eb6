"""The programs API: programs, versions (package upload) and the scan report."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_access import ScopedOrganisationMixin
from console.api_errors import error_response
from console.api_fields import StrictInput
from console.models import Organisation
from console.openapi import UploadField
from console.roles import Scope
from programs.images import LOGO_MAX_UPLOAD_BYTES
from programs.packages import package_filename, private_file_response
from programs.selectors import (
    active_categories,
    package_version_for_user,
    privacy_items,
    program_for_user,
    programs_for_orgs,
    version_for_user,
    with_live_releases,
)
from programs.serializers import (
    CategoryOutput,
    PrivacyDeclarationSerializer,
    ProgramInput,
    ProgramOutput,
    ProgramPatchInput,
    VersionInput,
    VersionOutput,
    VersionUploadOutput,
)
from programs.services import (
    program_create,
    program_set_logo,
    program_set_privacy_declaration,
    program_update,
    version_upload,
)
from programs.uploads import (
    CappedUploadMixin,
    declared_length_exceeds,
    install_package_upload_handler,
    upload_rate_message,
    upload_rate_wait,
)


class ProgramAccessMixin(ScopedOrganisationMixin):
    # Not a docstring: the schema would show it to API users as the description of every operation.
    # Reach a program through the caller's membership (and API key); check the scope for the method.

    read_scope = Scope.PROGRAMS_READ
    write_scope = Scope.PROGRAMS_WRITE

    def program(self, appid: str):
        program, membership = program_for_user(self.request.user, appid, api_key=self.api_key())
        self.check_scope(membership)
        return program, membership


class CategoryListApi(APIView):
    @extend_schema(responses=OpenApiResponse(CategoryOutput(many=True), description="Every active category, with "
                                             "what it asks of a program (qualification, service type, verified "
                                             "organisation)."),
                   summary="The category catalog")
    def get(self, request):
        return Response(CategoryOutput(active_categories(), many=True).data)


class ProgramListApi(ScopedOrganisationMixin, ListAPIView):
    serializer_class = ProgramOutput
    query_params = ("organisation",)
    error_statuses = {404: "The named organisation is not one the caller (or the API key) reaches."}
    read_scope = Scope.PROGRAMS_READ
    write_scope = Scope.PROGRAMS_WRITE

    def get_queryset(self):
        slug = self.request.query_params.get("organisation")
        if slug:  # one the caller does not reach is a 404, as on every organisation's URL, not an empty page
            org_ids = [self.membership_for(slug).organisation_id]
        else:
            memberships = list(self.reachable_memberships())
            for membership in memberships:
                self.check_scope(membership)
            org_ids = [m.organisation_id for m in memberships]
        return with_live_releases(programs_for_orgs(org_ids).select_related("organisation", "trial_version"))

    @extend_schema(summary="List the caller's programs",
                   parameters=[OpenApiParameter("organisation", str, description="An organisation's short name "
                                                "(slug): only its programs.")],
                   responses=OpenApiResponse(ProgramOutput, description="A page of the caller's programs, each with "
                                                                        "its live version and phased release."),
                   description="Paginated; `organisation` (a slug) keeps one organisation's programs. Each program "
                               "names its `live_version` and, during a phased release, its `phased_release`.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ProgramInput, summary="Create a program (returns its appid)",
        responses={201: OpenApiResponse(ProgramOutput, description="The new program, with its `appid`; nothing is "
                                                                   "released yet.")},
        examples=[OpenApiExample("create", request_only=True, value={
            "name": "City Bikes", "categories": ["travel"], "slogan": "Ride across town",
            "domains": {"request": ["https://api.citybikes.example.com"]}})],
    )
    def post(self, request):
        data = ProgramInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        membership = self._target_membership(fields.pop("organisation", None))
        program = program_create(
            org=membership.organisation, actor=request.user, api_key=self.api_key(),
            domains=fields.pop("domains", None), **fields,
        )
        body = ProgramOutput(program, context={"request": request}).data
        # str(): the url is DRF's Hyperlink, and WSGI servers (wsgiref, make run's) take only a plain str.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": str(body["url"])})

    def _target_membership(self, slug: str | None):
        if slug:
            return self.membership_for(slug)
        memberships = list(self.reachable_memberships().select_related("organisation"))
        if not memberships:
            raise ValidationError({"organisation": ["You belong to no organisation; create one first."]})
        if len(memberships) != 1:
            raise ValidationError({"organisation": ["Name the organisation (its slug): you belong to several."]})
        self.check_scope(memberships[0])
        return memberships[0]


class ProgramDetailApi(ProgramAccessMixin, APIView):
    error_statuses = {409: "`wrong_state`: the categories cannot change while a version is in review."}
    @extend_schema(responses=OpenApiResponse(ProgramOutput, description="The program, with its live version and "
                                                                       "phased release."),
                   summary="Read a program")
    def get(self, request, appid):
        program, _ = self.program(appid)
        return Response(ProgramOutput(program, context={"request": request}).data)

    @extend_schema(request=ProgramPatchInput, summary="Edit a program",
                   responses=OpenApiResponse(ProgramOutput, description="The program as it is after the edit."))
    def patch(self, request, appid):
        program, _ = self.program(appid)
        data = ProgramPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        program_update(program=program, actor=request.user, api_key=self.api_key(),
                       domains=fields.pop("domains", None), categories=fields.pop("categories", None), **fields)
        return Response(ProgramOutput(program, context={"request": request}).data)


class PrivacyDeclarationApi(ProgramAccessMixin, APIView):
    """The program's privacy declaration: which personal information it uses and why.

    Packages are checked against it when they are scanned: code using a kind that is not listed is
    a `privacy.not_in_declaration` error.
    """

    @extend_schema(responses=OpenApiResponse(PrivacyDeclarationSerializer, description="The declared kinds of "
                                             "personal information, each with its purpose."),
                   summary="Read the privacy declaration")
    def get(self, request, appid):
        program, _ = self.program(appid)
        return Response(PrivacyDeclarationSerializer({"items": privacy_items(program)}).data)

    @extend_schema(
        request=PrivacyDeclarationSerializer, summary="Replace the privacy declaration",
        responses=OpenApiResponse(PrivacyDeclarationSerializer, description="The declaration as stored now (it "
                                                                            "replaced the previous one)."),
        examples=[OpenApiExample("Location and camera", request_only=True, value={"items": [
            {"kind": "location", "purpose": "Show the stores nearest to you"},
            {"kind": "camera", "purpose": "Scan the QR code on your receipt"}]})],
    )
    def put(self, request, appid):
        program, _ = self.program(appid)
        data = PrivacyDeclarationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = {item["kind"]: item["purpose"] for item in data.validated_data["items"]}
        program_set_privacy_declaration(program=program, actor=request.user, items=items, api_key=self.api_key())
        return Response(PrivacyDeclarationSerializer({"items": privacy_items(program)}).data)


class LogoInput(StrictInput, serializers.Serializer):
    logo = UploadField(help_text="PNG or JPEG, square, at least 180×180 pixels, RGB (not CMYK), at most "
                                           "5 MB.")


class ProgramLogoApi(CappedUploadMixin, ProgramAccessMixin, APIView):
    parser_classes = [MultiPartParser]
    error_statuses = {413: "The logo file is larger than 5 MB."}
    upload_max_bytes = LOGO_MAX_UPLOAD_BYTES

    @extend_schema(request={"multipart/form-data": LogoInput}, summary="Replace a program's logo",
                   responses=OpenApiResponse(ProgramOutput, description="The program with its new logo (`logo`)."))
    def put(self, request, appid):
        program, _ = self.program(appid)
        data = LogoInput(data=request.data)
        too_large = self.upload_refusal(request, gettext("The logo file is larger than 5 MB."))
        if too_large:
            return too_large
        data.is_valid(raise_exception=True)
        content = data.validated_data["logo"].read()  # at most the cap: the upload stopped there
        try:
            program_set_logo(program=program, actor=request.user, api_key=self.api_key(), data=content)
        except DjangoValidationError as exc:
            raise ValidationError({"logo": exc.messages}) from exc
        return Response(ProgramOutput(program, context={"request": request}).data)


class VersionListApi(ProgramAccessMixin, ListAPIView):
    serializer_class = VersionOutput
    # multipart only: a form-urlencoded body cannot carry the package, and the 415 names what is read.
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        program, _ = self.program(self.kwargs["appid"])
        return program.versions.select_related("program", "uploaded_by").order_by("-created_at")

    @extend_schema(summary="List a program's versions",
                   responses=OpenApiResponse(VersionOutput, description="A page of the program's versions, newest "
                                                                        "first, each with its status and scan."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            # Before authentication: the session's CSRF check reads the body, which must already stream
            # through the hashing, size-capping handler. Access is checked afterwards, in post().
            self.upload_state = install_package_upload_handler(request._request, _upload_limit_for(kwargs["appid"]))
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": VersionInput},
        responses={
            202: OpenApiResponse(VersionUploadOutput, description="Stored; the scan runs in the background."),
            200: OpenApiResponse(VersionUploadOutput, description="This exact package was uploaded before: that "
                                 "version, whatever version string was asked for (`duplicate` says both)."),
            413: OpenApiResponse(description="The package is larger than the organisation's upload limit."),
            429: OpenApiResponse(description="Too many upload attempts for this organisation this hour (refused "
                                             "ones count too); `Retry-After` says in how many seconds to try again."),
        },
        summary="Upload a package as a new version",
    )
    def post(self, request, appid):
        program, membership = self.program(appid)
        limit = membership.organisation.package_upload_limit
        wait = upload_rate_wait(membership.organisation)
        if wait:
            response = error_response("rate_limited", upload_rate_message(wait), status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = str(wait)
            return response
        if declared_length_exceeds(request, limit):
            return _too_large(limit)
        data = VersionInput(data=request.data)
        if self.upload_state.exceeded:
            return _too_large(limit)
        data.is_valid(raise_exception=True)
        result = version_upload(
            program=program, actor=request.user, api_key=self.api_key(), method=data.validated_data["method"],
            version=data.validated_data["version"], description=data.validated_data["description"],
            package=data.validated_data["package"],
        )
        body = VersionUploadOutput(result.version, context={"request": request, "upload": result}).data
        response = Response(body, status=status.HTTP_202_ACCEPTED if result.created else status.HTTP_200_OK)
        response["Location"] = body["url"]
        return response


def _upload_limit_for(appid: str) -> int:
    """The upload cap of the program's organisation (the platform's when there is no such program)."""
    org = Organisation.objects.filter(programs__appid=appid).first()
    return org.package_upload_limit if org else settings.PACKAGE_UPLOAD_MAX_BYTES


def _too_large(limit: int) -> Response:
    message = gettext("The package is larger than this organisation's upload limit of %(size)s.") % {
        "size": filesizeformat(limit)}
    return error_response("package_too_large", message, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class VersionDetailApi(ProgramAccessMixin, APIView):
    @extend_schema(responses=OpenApiResponse(VersionOutput, description="The version: its status, scan progress "
                                                                       "and, once scanned, its scan report."),
                   summary="A version: status, scan progress and scan report")
    def get(self, request, appid, version):
        self.program(appid)
        obj, _ = version_for_user(request.user, appid, version, api_key=self.api_key())
        return Response(VersionOutput(obj, context={"request": request}).data)


class PackageDownloadApi(ProgramAccessMixin, APIView):
    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(description="The package, as an attachment (local storage)."),
            302: OpenApiResponse(description="On S3: a presigned URL that expires in PRIVATE_FILE_URL_SECONDS."),
        },
        summary="Download a version's package",
    )
    def get(self, request, appid, version):
        self.program(appid)  # 404 for outsiders; programs:read
        obj = package_version_for_user(request.user, appid, version, api_key=self.api_key())
        return private_file_response(obj.package, filename=package_filename(obj), content_type="application/zip")
