# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""JSON documents whose one large string must not be held in memory.

A backup is one JSON string of the API's answer (``settings.data``), as large as the client's
data, and the same string in the restore request's body. Both ways it travels in pieces:

- ``StringValueExtractor`` is fed an answer's bytes in pieces of any size; it decodes the string
  at one key path (JSON escapes included) and passes it to a sink as UTF-8 bytes, piece by
  piece, and keeps the rest of the (small) document, with ``""`` in its place, for ``json.loads``;
- ``JSONObjectBody`` is a request body (a file-like object with a length, so that it is sent with
  a Content-Length) whose large string values come from sources (``json_length`` and
  ``json_chunks()``: the escaped text, in pieces), escaped exactly as ``json.dumps`` escapes them;
  ``JSONText`` is such a source for a text in memory.

Error messages never quote the streamed text: it is secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import json

# Size of the pieces read from an answer or a file: the memory a transfer costs, whatever its size.
CHUNK_SIZE = 256 * 1024
# An answer with more than this outside the streamed value is not of the expected shape.
REST_LIMIT = 1024 * 1024

_STRUCTURE, _STRING, _VALUE = "structure", "string", "value"
# An escape is at most 6 characters (\uXXXX): one that starts earlier is complete.
_LONGEST_ESCAPE = 6


class JSONStreamError(ValueError):
    """The streamed document is not valid JSON of the expected shape (the message quotes none of it)."""


def escape_json_text(text):
    """``text`` as the inside of a JSON string (without the quotes), as ``json.dumps`` writes it (ASCII bytes)."""
    return json.dumps(text)[1:-1].encode("ascii")


def _backslashes_before(text, index):
    """How many backslashes stand right before ``text[index]``."""
    count = 0
    while index - count > 0 and text[index - count - 1] == "\\":
        count += 1
    return count


def _escape_starts_at(text, index):
    """Whether the backslash at ``index`` begins an escape (rather than being the escaped one of ``\\\\``)."""
    return _backslashes_before(text, index) % 2 == 0


def _is_high_surrogate(hex_digits):
    try:
        return 0xD800 <= int(hex_digits, 16) <= 0xDBFF
    except ValueError:
        return False


def _safe_cut(text):
    """Where ``text`` (the inside of a JSON string, begun at an escape boundary) may be cut for decoding.

    Never inside an escape, nor between the two escapes of a surrogate pair: the part after the cut
    is held back until more of the string has arrived.
    """
    end = len(text)
    last = text.rfind("\\", max(0, end - _LONGEST_ESCAPE))
    if last < 0 or not _escape_starts_at(text, last):
        return end
    unicode_escape = text[last + 1 : last + 2] == "u"
    complete = last + (6 if unicode_escape else 2) <= end
    if complete and not (unicode_escape and _is_high_surrogate(text[last + 2 : last + 6])):
        return end
    # Incomplete, or a high surrogate waiting for its pair; a high surrogate just before waits too.
    before = last - 6
    if before >= 0 and text[before : before + 2] == "\\u" and _escape_starts_at(text, before):
        if _is_high_surrogate(text[before + 2 : last]):
            return before
    return last


def _closing_quote(text):
    """Index of the quote that ends a JSON string in ``text`` (begun at an escape boundary), or -1."""
    quote = text.find('"')
    while quote >= 0 and not _escape_starts_at(text, quote):
        quote = text.find('"', quote + 1)
    return quote


class _Frame(object):
    """An object or array the scanner is inside; for an object, its current key and what comes next."""

    __slots__ = ("expect", "is_object", "key")

    def __init__(self, is_object):
        self.is_object = is_object
        self.key = None
        self.expect = "key" if is_object else None


class StringValueExtractor(object):
    """Streams the string at ``path`` of a JSON document to ``sink``, keeps the rest for parsing.

    ``path`` is a tuple of keys from the top-level object, e.g. ``("settings", "data")``; only a
    string value there is streamed (the same key elsewhere in the document is not), decoded
    (escapes such as ``\\/`` and ``\\uXXXX`` included) and passed to ``sink(bytes)`` as UTF-8, in
    pieces as the document arrives. ``close()`` returns the rest of the document with ``""`` in
    place of the value; ``json.loads`` checks it as usual. ``found`` tells whether the value was seen.
    """

    def __init__(self, path, sink, rest_limit=REST_LIMIT):
        self.path = tuple(path)
        self.sink = sink
        self.rest_limit = rest_limit
        self.found = False
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._rest = []
        self._rest_size = 0
        self._stack = []
        self._mode = _STRUCTURE
        self._escape = False  # in a kept string, the last character was a backslash
        self._key = None  # the text of the key being read (raw, with its escapes), or None
        self._pending = ""  # the end of the value's text held back until it can be decoded

    # -- feeding

    def feed(self, chunk):
        """The next bytes of the document."""
        try:
            text = self._utf8.decode(chunk)
        except UnicodeDecodeError:
            raise JSONStreamError("the answer is not UTF-8 text") from None
        position = 0
        while position < len(text):
            if self._mode == _VALUE:
                position = self._value(text, position)
            elif self._mode == _STRING:
                position = self._string(text, position)
            else:
                position = self._structure(text, position)

    def close(self):
        """The rest of the document (text), once all of it was fed."""
        try:
            self._utf8.decode(b"", True)
        except UnicodeDecodeError:
            raise JSONStreamError("the answer is not UTF-8 text (it ends inside a character)") from None
        if self._mode == _VALUE:
            raise JSONStreamError("the answer ends inside %s: it was cut off" % ".".join(self.path))
        return "".join(self._rest)

    def kept(self):
        """What was kept of the document so far (for an excerpt in a message)."""
        return "".join(self._rest)

    # -- the document's structure (small: read character by character)

    def _keep(self, text):
        self._rest_size += len(text)
        if self._rest_size > self.rest_limit:
            raise JSONStreamError(
                "more than %d characters of the answer are outside %s" % (self.rest_limit, ".".join(self.path))
            )
        self._rest.append(text)

    def _structure(self, text, position):
        start = position
        while position < len(text):
            char = text[position]
            position += 1
            if char == '"':
                self._keep(text[start:position])
                self._string_starts()
                return position
            top = self._stack[-1] if self._stack else None
            if char in "{[":
                self._stack.append(_Frame(char == "{"))
            elif char in "}]":
                if self._stack:
                    self._stack.pop()
            elif top is not None and top.is_object and char == ":":
                top.expect = "value"
            elif top is not None and top.is_object and char == ",":
                top.expect = "key"
        self._keep(text[start:position])
        return position

    def _string_starts(self):
        top = self._stack[-1] if self._stack else None
        expect = None
        if top is not None and top.is_object:
            expect, top.expect = top.expect, "next"
        self._mode = _STRING
        self._key = "" if expect == "key" else None
        if expect == "value" and self._at_path():
            if self.found:
                raise JSONStreamError("the answer has %s twice" % ".".join(self.path))
            self.found = True
            self._mode = _VALUE

    def _at_path(self):
        if len(self._stack) != len(self.path):
            return False
        return all(
            self._stack[depth].is_object and self._stack[depth].key == key for depth, key in enumerate(self.path)
        )

    def _string(self, text, position):
        """A string that is kept (a key, or a value not at the path): up to its closing quote."""
        start = position
        closed = False
        while position < len(text) and not closed:
            char = text[position]
            position += 1
            if self._escape:
                self._escape = False
            elif char == "\\":
                self._escape = True
            elif char == '"':
                closed = True
        self._keep(text[start:position])
        if self._key is not None:
            self._key += text[start : position - 1 if closed else position]
        if closed:
            self._mode = _STRUCTURE
            if self._key is not None:
                self._key_ends()
        return position

    def _key_ends(self):
        top = self._stack[-1]
        try:
            top.key = json.loads('"%s"' % self._key)
        except ValueError:
            top.key = None  # not a valid key: json.loads of the rest says so
        top.expect = "colon"
        self._key = None

    # -- the streamed value (large: cut into decodable pieces, decoded by json.loads)

    def _value(self, text, position):
        held = len(self._pending)
        text = self._pending + text[position:] if held else text[position:]
        self._pending = ""
        quote = _closing_quote(text)
        if quote < 0:
            cut = _safe_cut(text)
            self._emit(text[:cut])
            self._pending = text[cut:]
            return position + len(text) - held
        self._emit(text[:quote])
        self._keep('"')
        self._mode = _STRUCTURE
        return position + quote + 1 - held

    def _emit(self, piece):
        if not piece:
            return
        try:
            data = json.loads('"%s"' % piece).encode("utf-8")
        except (ValueError, UnicodeEncodeError):
            raise JSONStreamError(
                "%s is not a valid JSON string (a bad escape, a control character or a lone surrogate)"
                % ".".join(self.path)
            ) from None
        self.sink(data)


class JSONText(object):
    """A text in memory as a source of a JSON string value (see JSONObjectBody)."""

    def __init__(self, text):
        self._escaped = escape_json_text(text)
        self.json_length = len(self._escaped)

    def json_chunks(self):
        yield self._escaped


class RequestBodyError(Exception):
    """A source of a streamed request body failed: the request was cut short before its end.

    Not an OSError, so that the HTTP libraries pass it on instead of taking it for a network error.
    """


class JSONObjectBody(object):
    """A JSON object as a request body, streamed: ``len()`` is its size, ``read()`` its next bytes.

    ``members`` is a list of (name, value); a value with ``json_chunks`` (a source: ``json_length``
    and ``json_chunks()``, the escaped text of a string) is streamed, any other is written with
    ``json.dumps``. The bytes are those of ``json.dumps(dict(members))``. A source that fails, or
    gives more or fewer bytes than it announced, raises RequestBodyError before the body's end is
    sent, so that the receiver gets an incomplete request.
    """

    def __init__(self, members):
        self._parts = []
        text = "{"
        for index, (name, value) in enumerate(members):
            text += "%s%s: " % (", " if index else "", json.dumps(name))
            if hasattr(value, "json_chunks"):
                self._parts.extend([(text + '"').encode("ascii"), value])
                text = '"'
            else:
                text += json.dumps(value)
        self._parts.append((text + "}").encode("ascii"))
        self._length = sum(len(p) if isinstance(p, bytes) else p.json_length for p in self._parts)
        self._pieces = self._all_pieces()
        self._buffer = memoryview(b"")

    def __len__(self):
        return self._length

    def _all_pieces(self):
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
                continue
            given = 0
            for piece in part.json_chunks():
                given += len(piece)
                if given > part.json_length:
                    raise RequestBodyError("the data is longer than announced")
                yield piece
            if given != part.json_length:
                raise RequestBodyError("the data is shorter than announced")

    def read(self, size=-1):
        """Up to ``size`` bytes (all that is left when ``size`` is negative); b"" at the end."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._pieces))
            except StopIteration:
                return b""
            except RequestBodyError:
                raise
            except Exception as exc:
                raise RequestBodyError(str(exc)) from None
        piece, self._buffer = self._buffer[:size], self._buffer[size:]
        return piece.tobytes()
