"""Request body parsers of the API: JSON with a nesting limit.

Python's json module recurses once per level, so `[[[[…]]]]` a hundred thousand deep raises
RecursionError (a 500) and a few hundred levels still reach every serializer. No request of
this API nests deeper than a handful of levels; anything past JSON_MAX_DEPTH is a 400.

UTF-8 bodies are parsed by orjson (host event batches are up to 1,000 objects, and the standard
parser was a visible share of their ingest); a body orjson refuses goes through the standard parser
after all, so what is accepted and the error a client sees do not change (orjson is only stricter:
integers past 64 bits, lone surrogates).

A string holding a lone surrogate (an escape such as \\ud800, half of a UTF-16 pair) is JSON that the
standard parser reads but not text: it cannot be encoded to store, hash or send on. It failed there as
a 500, or, in a host's event batch, in the drain after the batch was accepted. I-JSON (RFC 7493)
forbids it; such a body is a 400 here.
"""

import io
import json
import re

import orjson
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json as drf_json

_CONTAINERS = (dict, list)
# The standard parser's messages (json.decoder) by how they start, in the reader's language; any other is shown as it is.
_JSON_PROBLEMS = {
    "Expecting value": gettext_lazy("a value was expected"),
    "Expecting property name enclosed in double quotes": gettext_lazy("a key in double quotes was expected"),
    "Expecting ':' delimiter": gettext_lazy("a colon (:) was expected"),
    "Expecting ',' delimiter": gettext_lazy("a comma (,) was expected"),
    "Unterminated string starting at": gettext_lazy("a string is not closed"),
    "Invalid control character at": gettext_lazy("a string holds a control character"),
    "Invalid \\escape": gettext_lazy("a string holds an invalid escape"),
    "Invalid \\uXXXX escape": gettext_lazy("a string holds an invalid \\u escape"),
    "Extra data": gettext_lazy("more follows the JSON value"),
}
_SURROGATE = re.compile("[\ud800-\udfff]")  # a parsed str holds a surrogate only when its pair was missing


def json_depth(value) -> int:
    """How deeply `value` (parsed JSON) nests lists and objects; a scalar is 0. One level at a time, never recursing."""
    depth, level = 0, [value] if isinstance(value, _CONTAINERS) else []
    while level:
        depth += 1
        below = []
        for node in level:
            children = node.values() if isinstance(node, dict) else node
            below += [child for child in children if isinstance(child, _CONTAINERS)]
        level = below
    return depth


def holds_lone_surrogate(value) -> bool:
    """Whether any string of `value` (parsed JSON), key or value, holds a lone surrogate. Never recursing."""
    level = [value]
    while level:
        below = []
        for node in level:
            if isinstance(node, str):
                if _SURROGATE.search(node):
                    return True
            elif isinstance(node, dict):
                below += node.keys()
                below += node.values()
            elif isinstance(node, list):
                below += node
        level = below
    return False


def _too_deep() -> ParseError:
    return ParseError(gettext("The JSON body is nested more than %(depth)s levels deep.")
                      % {"depth": settings.JSON_MAX_DEPTH})


def _not_json(exc: ValueError, encoding: str) -> ParseError:
    """What is wrong with a body the standard parser refused, and where, in the reader's language."""
    if isinstance(exc, json.JSONDecodeError):
        return ParseError(gettext("The body is not valid JSON: %(problem)s at line %(line)s, column %(column)s.") % {
            "problem": next((words for start, words in _JSON_PROBLEMS.items() if exc.msg.startswith(start)), exc.msg),
            "line": exc.lineno, "column": exc.colno})
    if isinstance(exc, UnicodeDecodeError):
        return ParseError(gettext("The body is not valid %(encoding)s text (byte %(position)s).")
                          % {"encoding": encoding.upper(), "position": exc.start + 1})
    return ParseError(gettext("The body is not valid JSON: %(problem)s.") % {"problem": exc})


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            data = self._parse(body, media_type, parser_context)
        except RecursionError:
            raise _too_deep()
        if json_depth(data) > settings.JSON_MAX_DEPTH:
            raise _too_deep()
        return data

    def _parse(self, body: bytes, media_type, parser_context):
        if get_encoding(parser_context or {}).lower().replace("_", "-") in ("utf-8", "utf8"):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass  # the standard parser decides, with its own message
        data = self._parse_standard(body, get_encoding(parser_context or {}))
        if holds_lone_surrogate(data):
            raise ParseError(gettext("The JSON body holds a lone surrogate (a \\ud800-\\udfff escape without its "
                                     "pair), which is not text. Send strings as UTF-8."))
        return data

    def _parse_standard(self, body: bytes, encoding: str):
        # DRF's JSONParser.parse, with an error in the reader's language (its "JSON parse error - …" is English).
        try:
            return json.loads(body.decode(encoding), parse_constant=drf_json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise _not_json(exc, encoding) from None


def parse_json_body(body: bytes):
    """A UTF-8 JSON body as the host calls parse it (nesting limit, no lone surrogates), for views outside DRF."""
    return DepthLimitedJSONParser().parse(io.BytesIO(body), "application/json", {})



class StrictJSONParser(DepthLimitedJSONParser):
    """The API's JSON parser (settings): also refuses an object that names a key twice.

    `{"slogan": "a", "slogan": "b"}` is JSON whose meaning parsers disagree on (the last wins here, the first
    in others); I-JSON (RFC 7493) forbids it. Host calls keep the open parser, as SPEC §9 wrote them.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        if isinstance(data, dict | list) and body.count(b":") > 1:  # one key cannot repeat
            json.loads(body, object_pairs_hook=_refuse_repeated_keys)
        return data


def _refuse_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _value in pairs]
    if len(set(keys)) != len(keys):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        raise ParseError(gettext("The JSON body names a key twice in one object: %(keys)s.")
                         % {"keys": ", ".join(repeated)[:200]})
    return dict(pairs)
