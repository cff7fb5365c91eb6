"""bench/walk.py's urlconf: every console route, plus uploaded logos (which DEBUG off does not serve)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from console.urls import urlpatterns as console_patterns

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *console_patterns,
]
