"""How host calls negotiate: they are answered in JSON whatever the Accept header says."""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonAnswer(DefaultContentNegotiation):
    """The first renderer (JSON), without parsing Accept: a host's HTTP library may send `Accept: text/html`,
    and a 406 would lose its call. The body's content type is still checked (415)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
