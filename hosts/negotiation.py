"""How host calls negotiate: they are answered in JSON whatever the Accept header says, and a body is read
as JSON whatever its Content-Type says."""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonAnswer(DefaultContentNegotiation):
    """The first renderer (JSON), without parsing Accept: a host's HTTP library may send `Accept: text/html`,
    and a 406 would lose its call."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class JsonOnly(JsonAnswer):
    """Host calls read their body as JSON whatever its Content-Type (never a 415): the share gate always did,
    and the events call answered 415 to the same host (an integrator's walk). SPEC §9 says the bodies are
    JSON, and the signature covers their bytes, not a header. The schema lists no 415 for them."""

    checks_content_type = False

    def select_parser(self, request, parsers):
        return parsers[0]
