"""Qualification documents in the API: the licences a category asks for before a program may be submitted.

A submission of a program without them is refused (409 `wrong_state`, naming the categories); these calls
let a job that sets up a program upload them, as the program page does, and list what is there.
"""

import os

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from console.api_fields import StrictInput
from console.openapi import UploadField
from programs.apis import ProgramAccessMixin
from programs.models import QualificationDocument
from programs.packages import private_file_response, safe_filename
from programs.services import (
    QUALIFICATION_MAX_BYTES,
    missing_qualifications,
    qualification_add,
    qualification_remove,
)
from programs.uploads import CappedUploadMixin


class QualificationInput(StrictInput, serializers.Serializer):
    category = serializers.CharField(max_length=60, help_text="The code of one of the program's categories that "
                                                              "needs a qualification document.")
    file = UploadField(help_text="The licence or permit: PDF, PNG or JPEG, at most 10 MB.")


class QualificationOutput(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    download = serializers.SerializerMethodField(help_text="The document itself.")
    uploaded_by = serializers.EmailField(source="uploaded_by.email", allow_null=True, default=None)

    class Meta:
        model = QualificationDocument
        fields = ["id", "category", "original_name", "uploaded_at", "uploaded_by", "download"]

    def get_download(self, document) -> str:
        return reverse("api_program_qualification", args=[document.program.appid, document.pk],
                       request=self.context["request"])


class QualificationListOutput(serializers.Serializer):
    documents = QualificationOutput(many=True)
    missing = serializers.ListField(child=serializers.CharField(), help_text="Codes of the program's categories "
                                    "that still need a document: while any does, a submission is refused.")


class QualificationListApi(CappedUploadMixin, ProgramAccessMixin, APIView):
    error_statuses = {409: "`limit_reached`: the program keeps 20 documents already; delete one first.",
                      413: "The document is larger than 10 MB."}
    parser_classes = [MultiPartParser]
    upload_max_bytes = QUALIFICATION_MAX_BYTES

    @extend_schema(summary="A program's qualification documents",
                   responses=OpenApiResponse(QualificationListOutput, description="The documents, newest first, and "
                                                                                  "the categories still missing one."))
    def get(self, request, appid):
        program, _membership = self.program(appid)
        documents = program.qualifications.select_related("program", "category", "uploaded_by")
        return Response(QualificationListOutput({
            "documents": documents, "missing": [c.code for c in missing_qualifications(program)],
        }, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": QualificationInput}, summary="Upload a qualification document",
                   responses={201: OpenApiResponse(QualificationOutput, description="Stored; reviewers see it with "
                                                                                    "the program.")})
    def post(self, request, appid):
        program, _membership = self.program(appid)
        data = QualificationInput(data=request.data)
        too_large = self.upload_refusal(request, _("The document is larger than 10 MB."))
        if too_large:
            return too_large
        data.is_valid(raise_exception=True)
        needing = {c.code: c for c in program.categories.filter(needs_qualification=True)}
        category = needing.get(data.validated_data["category"])
        if category is None:
            raise ValidationError({"category": [
                _("Not one of this program's categories that need a document (%(codes)s).")
                % {"codes": ", ".join(sorted(needing)) or "—"}
            ]})
        document = qualification_add(program=program, actor=request.user, api_key=self.api_key(),
                                     category=category, upload=data.validated_data["file"])
        body = QualificationOutput(document, context={"request": request}).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Location"] = body["download"]
        return response


class QualificationDownloadApi(ProgramAccessMixin, APIView):
    error_statuses = {409: "`wrong_state`: a version of the program is in review (delete after the decision)."}
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The document, as an attachment "
                                                                           "(local storage)."),
            302: OpenApiResponse(description="On S3: a presigned URL that expires in PRIVATE_FILE_URL_SECONDS."),
        },
        summary="Download a qualification document", operation_id="programs_qualifications_download",
    )
    def get(self, request, appid, document_id):
        document = self.document(appid, document_id)
        return private_file_response(document.file, filename=download_name(document))

    @extend_schema(summary="Delete a qualification document",
                   responses={204: OpenApiResponse(description="Deleted, with its file.")})
    def delete(self, request, appid, document_id):
        qualification_remove(document=self.document(appid, document_id), actor=request.user, api_key=self.api_key())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def document(self, appid: str, document_id: int) -> QualificationDocument:
        program, _membership = self.program(appid)
        return get_object_or_404(program.qualifications.select_related("program", "category"), pk=document_id)


def download_name(document: QualificationDocument) -> str:
    """The uploader's name with the extension of what was stored (PDF, PNG or JPEG, from its first bytes): a PDF
    named "x.html" downloaded as "x.html", which a browser opens as a page."""
    stem = os.path.splitext(document.original_name)[0] or "document"
    return safe_filename(f"{stem}{os.path.splitext(document.file.name)[1]}")
