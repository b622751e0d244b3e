"""The JSON parser of every service's API: DRF's, refusing documents nested too deep to be sane.

Python's json module recurses once per level of nesting: a 20 KB body of 10,000 `[` raises
RecursionError, which DRF's parser does not catch (a 500), and a document just under the
interpreter's limit parses but breaks whatever walks it next (copying, rendering, hashing). No
request of the shop's API nests deeper than a handful of levels, so anything deeper than
MAX_JSON_DEPTH is refused with 400 before it is parsed at all.
"""

import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

# Far above any valid request (an order is 3 levels: {"items": [{...}]}), far below the depth at
# which Python's recursion gives out.
MAX_JSON_DEPTH = 32

# A JSON string (its escapes included), whose brackets are text and do not nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar), without parsing it.

    Linear and in C (regular expressions, `accumulate`): tens of milliseconds for a megabyte of
    brackets, well under one for an ordinary body. For a text that is not JSON the figure is
    meaningless, and parsing it fails anyway.
    """
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def json_too_deep(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> bool:
    # Most bodies hold fewer brackets than the limit and cannot nest deeper than their count.
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return json_depth(text) > max_depth


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser (strict: no NaN or Infinity), with a depth limit."""

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # get_encoding is DRF's (3.18); djangorestframework-stubs 3.16 does not know it yet.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        if json_too_deep(text):
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels of arrays "
                "and objects."
            )
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {error}") from None
