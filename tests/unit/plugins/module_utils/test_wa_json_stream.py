# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_json_stream: the settings.data extractor at every chunk boundary, and the
streamed request body (its length, its escaping)."""

import itertools
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wabiz.migration.plugins.module_utils.wa_json_stream import (
    JSONObjectBody,
    JSONStreamError,
    JSONText,
    RequestBodyError,
    StringValueExtractor,
    escape_json_text,
)

PATH = ("settings", "data")
# Every kind of escape, a surrogate pair, multi-byte UTF-8 both raw and escaped, and "data" elsewhere.
DATA = 'V0FC/SzE+ab\\/\\\\"é€\U0001f600\n\t\x01\u2028end\\'
DOCUMENT = {
    "data": "not this one",
    "settings": {"d\\ata": "nor this", "other": {"data": "nor this"}, "data": DATA, "after": ["data", 1]},
    "meta": {"version": "v2.45.1", "data": "nor this"},
}


def encodings(document):
    """The document as different clients write it: ASCII escapes, raw UTF-8, PHP's escaped slashes, an escaped key."""
    ascii_json = json.dumps(document).encode()
    raw_utf8 = json.dumps(document, ensure_ascii=False).encode()
    php = ascii_json.replace(b"/", b"\\/")
    escaped_key = ascii_json.replace(b'"settings"', b'"s\\u0065ttings"')
    return {"ascii": ascii_json, "utf8": raw_utf8, "php": php, "escaped-key": escaped_key}


def extract(pieces, limit=1 << 20):
    out = []
    extractor = StringValueExtractor(PATH, out.append, rest_limit=limit)
    for piece in pieces:
        extractor.feed(piece)
    return b"".join(out), json.loads(extractor.close()), extractor.found


def with_data_left_out(document):
    rest = json.loads(json.dumps(document))
    rest["settings"]["data"] = ""
    return rest


@pytest.mark.parametrize("encoding", ["ascii", "utf8", "php", "escaped-key"])
def test_every_split_position(encoding):
    raw = encodings(DOCUMENT)[encoding]
    for split in range(len(raw) + 1):
        data, rest, found = extract([raw[:split], raw[split:]])
        assert data == DATA.encode(), split
        assert rest == with_data_left_out(DOCUMENT) and found, split


@pytest.mark.parametrize("encoding", ["ascii", "utf8", "php"])
def test_one_byte_at_a_time(encoding):
    raw = encodings(DOCUMENT)[encoding]
    data, rest, _found = extract([raw[i : i + 1] for i in range(len(raw))])
    assert data == DATA.encode()
    assert rest == with_data_left_out(DOCUMENT)


@settings(max_examples=200, deadline=None)
@given(
    data=st.text(min_size=1, max_size=200),
    before=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    encoding=st.sampled_from(["ascii", "utf8", "php"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
)
def test_any_data_in_any_pieces(data, before, encoding, cuts):
    document = {**before, "settings": {**before, "data": data}}
    raw = encodings(document)[encoding]
    bounds = sorted({0, len(raw), *(c % (len(raw) + 1) for c in cuts)})
    got, rest, _found = extract([raw[a:b] for a, b in itertools.pairwise(bounds)])
    assert got == data.encode("utf-8")
    assert rest == with_data_left_out(document)


def test_without_the_path_nothing_is_streamed():
    for document in ({"settings": {"other": "x"}}, {"data": "x"}, [{"settings": {"data": "x"}}], "text", None):
        data, rest, found = extract([json.dumps(document).encode()])
        assert (data, rest, found) == (b"", document, False)


def test_a_value_of_another_type_is_kept():
    data, rest, found = extract([b'{"settings": {"data": {"data": "x"}}}'])
    assert (data, rest, found) == (b"", {"settings": {"data": {"data": "x"}}}, False)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"settings": {"data": "ab\\x"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "ab\\u12"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "ab\ncd"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "ab\\ud83dcd"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "ab\\ude00"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "ab\\ud83d"}}', "settings.data is not a valid JSON string"),
        (b'{"settings": {"data": "abc', "the answer ends inside settings.data: it was cut off"),
        (b'{"settings": {"data": "ab\\', "the answer ends inside settings.data: it was cut off"),
        (b'{"settings": {"data": "a"}, "settings": {"data": "b"}}', "the answer has settings.data twice"),
        (b'{"settings": {"data": "\xff"}}', "the answer is not UTF-8 text"),
        (b'{"settings": {"data": "\xc3', "the answer is not UTF-8 text (it ends inside a character)"),
    ],
)
def test_errors_name_the_problem_not_the_data(raw, reason):
    for split in range(len(raw) + 1):
        with pytest.raises(JSONStreamError) as info:
            extract([raw[:split], raw[split:]])
        assert str(info.value) == reason or str(info.value).startswith(reason + " ("), split
        assert "ab" not in str(info.value)


def test_what_is_kept_outside_the_value_is_bounded():
    raw = json.dumps({"settings": {"data": "x" * 5000}, "other": "y" * 100}).encode()
    assert extract([raw], limit=200)[0] == b"x" * 5000  # the value itself does not count
    with pytest.raises(JSONStreamError, match=r"more than 50 characters of the answer are outside settings\.data"):
        extract([raw], limit=50)


# ---------------------------------------------------------------------------- the request body


def read_all(body, size):
    pieces = []
    while True:
        piece = body.read(size)
        if not piece:
            return b"".join(pieces)
        assert len(piece) <= size
        pieces.append(piece)


@settings(max_examples=100, deadline=None)
@given(password=st.text(max_size=30), data=st.text(max_size=300), size=st.integers(min_value=1, max_value=64))
def test_body_is_json_dumps_and_its_length_is_what_is_sent(password, data, size):
    body = JSONObjectBody([("password", password), ("data", JSONText(data))])
    sent = read_all(body, size)
    assert sent == json.dumps({"password": password, "data": data}).encode("ascii")
    assert len(body) == len(sent)
    assert body.read(size) == b""


def test_escaping_is_that_of_json_dumps():
    for text in ("a/b", 'q"\\', "é€\U0001f600", "\x00\x1f\u2028", ""):
        assert escape_json_text(text) == json.dumps(text)[1:-1].encode()


def test_read_without_size_gives_everything():
    body = JSONObjectBody([("data", JSONText("x" * 10)), ("n", 1)])
    assert body.read() == b'{"data": "xxxxxxxxxx", "n": 1}' and body.read() == b""


class Source:
    def __init__(self, pieces, json_length, fail=None):
        self.pieces, self.json_length, self.fail = pieces, json_length, fail

    def json_chunks(self):
        yield from self.pieces
        if self.fail:
            raise self.fail


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (Source([b"abc", b"def"], 5), "the data is longer than announced"),
        (Source([b"abc"], 5), "the data is shorter than announced"),
        (Source([b"abc"], 3, OSError(5, "Input/output error")), "[Errno 5] Input/output error"),
    ],
)
def test_a_source_that_fails_stops_the_body_before_its_end(source, message):
    body = JSONObjectBody([("data", source)])
    sent = []
    with pytest.raises(RequestBodyError, match=re.escape(message)):
        while True:
            piece = body.read(4)
            if not piece:
                break
            sent.append(piece)
    assert not b"".join(sent).endswith(b'"}')  # the receiver never gets a whole request
    assert len(b"".join(sent)) < len(body)
