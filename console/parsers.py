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
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

_CONTAINERS = (dict, list)
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
    return ParseError(f"The JSON body is nested more than {settings.JSON_MAX_DEPTH} levels deep.")


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
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        if holds_lone_surrogate(data):
            raise ParseError("The JSON body holds a lone surrogate (a \\ud800-\\udfff escape without its pair), "
                             "which is not text. Send strings as UTF-8.")
        return data


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
        raise ParseError(f"The JSON body names a key twice in one object: {', '.join(repeated)[:200]}.")
    return dict(pairs)
