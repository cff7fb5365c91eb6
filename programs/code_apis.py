"""The code viewer in the API: a version's file list and one file's content (highlighted rows, one page).

Same rule as the pages (`programs.selectors.code_version_access`): members of the program's organisation
(an API key needs `programs:read`) and reviewers signed in to the portal; everyone else gets 404.
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api_access import ScopedOrganisationMixin, lacks_scope_message
from console.roles import Scope
from programs import selectors
from programs.codeview import documents
from programs.codeview.reading import MemberUnavailable, manifest


class CodeFileOutput(serializers.Serializer):
    path = serializers.CharField(help_text="The member's path in the archive, as the scanner accepted it.")
    size = serializers.IntegerField(help_text="Uncompressed bytes.")
    sha256 = serializers.CharField()
    change = serializers.ChoiceField(["added", "changed", ""], help_text="Compared with the released version.")
    findings = serializers.IntegerField(help_text="Scan findings in this file.")
    content_url = serializers.CharField()


class CodeTreeOutput(serializers.Serializer):
    version = serializers.CharField()
    released_version = serializers.CharField(allow_null=True, help_text="What `change` compares with.")
    files = CodeFileOutput(many=True)
    removed = serializers.ListField(child=serializers.CharField(), help_text="Paths the released version had.")


class CodeRowOutput(serializers.Serializer):
    line = serializers.IntegerField()
    continues = serializers.BooleanField(help_text="True when this row continues a line longer than 1,000 characters.")
    html = serializers.CharField(help_text="The row's text as HTML, tokens in Pygments' short CSS classes.")


class CodeContentOutput(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    kind = serializers.ChoiceField(["text", "image", "binary"])
    encoding = serializers.CharField(help_text="text only")
    truncated = serializers.BooleanField(help_text="Only the first CODE_VIEWER_MAX_BYTES were read.")
    lines = serializers.IntegerField(help_text="text only: lines in the file")
    page = serializers.IntegerField(help_text="text only: this part, from 0")
    pages = serializers.IntegerField(help_text="text only: parts of at most 1,000 rows and 64 KB")
    first_line = serializers.IntegerField(allow_null=True)
    last_line = serializers.IntegerField(allow_null=True)
    rows = CodeRowOutput(many=True)
    findings = serializers.ListField(child=serializers.DictField(), help_text="The scan's findings in this file.")


class _CodeApi(ScopedOrganisationMixin, APIView):
    required_scope = Scope.PROGRAMS_READ

    def code_version(self, appid: str, version: str):
        obj = selectors.code_version_for_user(self.request.user, appid, version, api_key=self.api_key())
        key = self.api_key()
        if key and not key.has_scope(self.required_scope):
            raise PermissionDenied(lacks_scope_message(self.required_scope))
        return obj


class CodeTreeApi(_CodeApi):
    @extend_schema(responses=OpenApiResponse(CodeTreeOutput, description="The version's files, each with how it "
                                             "differs from the released version and its findings, and the paths it "
                                             "removed."),
                   summary="A version's files (code viewer)", examples=[OpenApiExample(
        "files", response_only=True, value={"version": "1.1.0", "released_version": "1.0.0", "removed": [],
                                            "files": [{"path": "app.js", "size": 547, "sha256": "9f2c…",
                                                       "change": "changed", "findings": 1,
                                                       "content_url": "…/files/content/?path=app.js"}]})])
    def get(self, request, appid, version):
        obj = self.code_version(appid, version)
        diff = selectors.diff_against_release(obj)
        changes = {f.path: "added" for f in diff.files_added} | {f.path: "changed" for f in diff.files_changed}
        counts: dict[str, int] = {}
        for finding in (obj.scan_report or {}).get("findings") or []:
            if isinstance(finding, dict) and finding.get("file"):
                counts[finding["file"]] = counts.get(finding["file"], 0) + 1
        content = request.build_absolute_uri(reverse("api_code_content", args=[appid, version]))
        files = [{"path": path, "size": entry["size"], "sha256": entry["sha256"], "change": changes.get(path, ""),
                  "findings": counts.get(path, 0), "content_url": f"{content}?path={_quote(path)}"}
                 for path, entry in sorted(manifest(obj.scan_report).items())]
        released = selectors.current_release(obj.program)
        return Response({"version": obj.version, "files": files, "removed": [f.path for f in diff.files_removed],
                         "released_version": released.version if released and released.pk != obj.pk else None})


class CodeContentApi(_CodeApi):
    query_params = ("path", "page", "line")
    @extend_schema(
        parameters=[OpenApiParameter("path", str, required=True, description="A path from the file list."),
                    OpenApiParameter("page", int, description="Which part of a long text file (from 0)."),
                    OpenApiParameter("line", int, description="Or: the part where this line starts.")],
        responses=OpenApiResponse(CodeContentOutput, description="One part of the file: its highlighted rows, "
                                                                 "which part of how many, and the file's findings."),
        summary="One file of a version: highlighted rows, one part at a time")
    def get(self, request, appid, version):
        obj = self.code_version(appid, version)
        path = request.query_params.get("path", "")
        try:
            document = documents.file_document(obj, path, page=_int(request.query_params.get("page")),
                                               line=_int(request.query_params.get("line")))
        except MemberUnavailable:
            raise NotFound("No such file in this version.") from None
        current = document.current
        return Response({
            "path": document.path, "size": document.size, "sha256": document.sha256, "kind": document.kind,
            "encoding": document.encoding, "truncated": document.truncated, "lines": document.lines,
            "page": document.page, "pages": len(document.pages),
            "first_line": current.first_line if current else None, "last_line": current.last_line if current else None,
            "rows": [{"line": row.line, "continues": row.cont, "html": row.html} for row in document.rows],
            "findings": documents.findings_of(obj, path),
        })


def _int(value):
    return int(value) if value and value.isdigit() and len(value) < 9 else None


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")
