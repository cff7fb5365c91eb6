"""bench/gate.py's urlconf: every console route plus two bare baselines. Never used outside the benchmark."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from console.urls import urlpatterns as console_patterns

ANSWER = {"allow": True, "reason": "allowed", "retry_after": None}


@csrf_exempt
def bare(request):
    """The cheapest JSON answer this app can give: a plain Django view behind the same middleware that
    reads the same body."""
    json.loads(request.body or b"{}")
    return JsonResponse(ANSWER)


class BareApi(APIView):
    """The same through DRF with no authentication: what the framework alone costs."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        return Response(ANSWER)


# After the console's routes, so that resolving them costs what resolving the gate's route does.
urlpatterns = [
    *console_patterns,
    path("bench/bare/", bare),
    path("bench/bare-drf/", BareApi.as_view()),
]
