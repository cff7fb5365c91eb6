"""Pages for machines that watch the console: Prometheus metrics (/healthz/ is console.health)."""

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from console import metrics


@require_GET
def prometheus_metrics(request):
    if not metrics.scraper_allowed(request):
        raise Http404
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)


@require_GET
def favicon(request):
    """Pages name their icon, but a CSV, a JSON answer or a bookmark makes the browser ask for /favicon.ico."""
    return HttpResponsePermanentRedirect(static("img/logo.svg"))
