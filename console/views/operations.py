"""Pages for machines that watch the console: Prometheus metrics (/healthz/ is console.health)."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from console import metrics


@require_GET
def prometheus_metrics(request):
    if not metrics.scraper_allowed(request):
        raise Http404
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
