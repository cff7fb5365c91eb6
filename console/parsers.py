"""Request body parsers of the API: JSON with a nesting limit.

Python's json module recurses once per level, so `[[[[…]]]]` a hundred thousand deep raises
RecursionError (a 500) and a few hundred levels still reach every serializer. No request of
this API nests deeper than a handful of levels; anything past JSON_MAX_DEPTH is a 400.
"""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth(value) -> int:
    """How deeply `value` (parsed JSON) nests lists and objects; a scalar is 0. Iterative, so never recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep() -> ParseError:
    return ParseError(f"The JSON body is nested more than {settings.JSON_MAX_DEPTH} levels deep.")


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep()
        if json_depth(data) > settings.JSON_MAX_DEPTH:
            raise _too_deep()
        return data
