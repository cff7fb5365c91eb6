"""Trial testers in the API: who, besides the organisation's members, may open the program's trial version.

What the program page's trial card does, for a CI job that hands a build to its testers: list them, add one
(adding someone who is a tester already changes nothing and says so with 200, so a job can run again), and
remove one.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from console.api_fields import StrictInput
from programs.apis import ProgramAccessMixin
from programs.models import TrialTester
from programs.releases import tester_add, tester_remove


class TesterInput(StrictInput, serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="The tester's email address; they sign in with it "
                                                             "to open the trial version.")


class TesterOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    added_at = serializers.DateTimeField(source="created_at")
    added_by = serializers.EmailField(source="added_by.email", allow_null=True, default=None,
                                      help_text="The member who added them; null once that account is gone.")

    class Meta:
        model = TrialTester
        fields = ["id", "email", "url", "added_at", "added_by"]

    def get_url(self, tester) -> str:
        return reverse("api_program_tester", args=[tester.program.appid, tester.pk], request=self.context["request"])


class TesterListApi(ProgramAccessMixin, ListAPIView):
    serializer_class = TesterOutput
    query_params = ("email",)

    def get_queryset(self):
        program, _ = self.program(self.kwargs["appid"])
        testers = program.testers.select_related("program", "added_by").order_by("email", "pk")
        email = self.request.query_params.get("email", "").strip().lower()
        return testers.filter(email=email) if email else testers

    @extend_schema(summary="List a program's trial testers",
                   parameters=[OpenApiParameter("email", str, description="Only the tester with this address (any "
                                                                          "case): an empty page when there is none.")],
                   responses=OpenApiResponse(TesterOutput, description="A page of the program's testers, by email "
                                                                       "address."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TesterInput, summary="Add a trial tester",
        responses={
            201: OpenApiResponse(TesterOutput, description="Added: they can open the trial version now."),
            200: OpenApiResponse(TesterOutput, description="They were a tester already; nothing changed."),
        },
    )
    def post(self, request, appid):
        program, _ = self.program(appid)
        data = TesterInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        tester = program.testers.filter(email=email).first()
        created = tester is None
        if created:
            try:
                tester = tester_add(program=program, actor=request.user, api_key=self.api_key(), email=email)
            except DjangoValidationError:  # added by a request at the same moment: the job's retry, say
                tester, created = program.testers.get(email=email), False
        body = TesterOutput(tester, context={"request": request}).data
        response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        response["Location"] = body["url"]
        return response


class TesterDetailApi(ProgramAccessMixin, APIView):
    def tester(self, appid: str, tester_id: int) -> TrialTester:
        program, _ = self.program(appid)
        return get_object_or_404(TrialTester.objects.select_related("program", "added_by"), pk=tester_id,
                                 program=program)

    @extend_schema(summary="Read a trial tester",
                   responses=OpenApiResponse(TesterOutput, description="The tester."))
    def get(self, request, appid, tester_id):
        return Response(TesterOutput(self.tester(appid, tester_id), context={"request": request}).data)

    @extend_schema(summary="Remove a trial tester",
                   responses={204: OpenApiResponse(description="Removed: they can no longer open the trial "
                                                               "version.")})
    def delete(self, request, appid, tester_id):
        tester_remove(tester=self.tester(appid, tester_id), actor=request.user, api_key=self.api_key())
        return Response(status=status.HTTP_204_NO_CONTENT)
