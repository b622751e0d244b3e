"""The JSON parser every service's API uses: DRF's, with a depth limit checked before parsing."""

import io
import time

import pytest
from rest_framework.exceptions import ParseError

from shop.api.parsers import MAX_JSON_DEPTH, JSONParser, json_depth


def parse(body: bytes, encoding: str = "utf-8"):
    return JSONParser().parse(io.BytesIO(body), "application/json", {"encoding": encoding})


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[{{{"', 0),
        ("[]", 1),
        ('{"items": [{"product_id": 1, "quantity": 2}]}', 3),
        ('{"a": "]]]", "b": ["\\"[", [[]]]}', 4),
        ("[" * 100 + "]" * 100, 100),
    ],
)
def test_depth_counts_arrays_and_objects_but_not_brackets_inside_strings(text, depth):
    assert json_depth(text) == depth


def test_a_document_at_the_limit_parses_as_drf_would():
    body = ("[" * MAX_JSON_DEPTH + "1" + "]" * MAX_JSON_DEPTH).encode()

    data = parse(body)

    for _ in range(MAX_JSON_DEPTH):
        (data,) = data
    assert data == 1
    assert parse(b'{"name": "Caf\\u00e9", "list": [1, 2.5, null, true]}') == {
        "name": "Café",
        "list": [1, 2.5, None, True],
    }


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a": ' * 10_000 + b"1" + b"}" * 10_000,
        # Unbalanced: refused all the same, never parsed.
        b"[" * 500_000,
    ],
    ids=["one_too_deep", "ten_thousand_arrays", "ten_thousand_objects", "half_a_megabyte_open"],
)
def test_a_document_nested_too_deep_is_refused_fast(body):
    started = time.perf_counter()

    with pytest.raises(ParseError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        parse(body)

    assert time.perf_counter() - started < 0.2


@pytest.mark.parametrize(
    ("body", "encoding"),
    [(b"{", "utf-8"), (b'{"a": NaN}', "utf-8"), (b"\xff\xfe", "utf-8"), (b"{}", "bz2_codec")],
    ids=["truncated", "nan", "not_utf8", "not_a_text_charset"],
)
def test_what_drf_refuses_stays_refused(body, encoding):
    with pytest.raises(ParseError):
        parse(body, encoding)


def test_every_service_parses_json_with_it(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "shop.api.parsers.JSONParser"
