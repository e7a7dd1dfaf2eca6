"""Strict JSON reading: one clear error naming file, line and JSON path; never the value.

Rejected: invalid JSON, duplicate keys, NaN/Infinity and numbers too large to be finite (1e309),
integers beyond 64 bits (no store, engine or report takes them: an audit once stopped on one),
nesting deeper than MAX_DEPTH, oversized documents, and text no store or engine can take — a lone
surrogate (a "\\udfff" escape: not Unicode, cannot be encoded as UTF-8) or a NUL character. Every
failure is a CheckerError (or, for a log line, an InputProblem) naming the JSON path — no traceback.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

MAX_DEPTH = 64  # real events nest 4 deep; 100,000-deep JSON is refused before Python recurses
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


class JSONProblem(ValueError):
    """Why a document is not acceptable JSON, with the 1-based line (within the document)."""

    def __init__(self, reason: str, line: int = 1, path: str = "$") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.path = path


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)  # C speed; a shorter dict means a key came twice
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONProblem(f"duplicate key {safe_key(key)}")
            seen.add(key)
    return out


def _no_constants(name: str) -> Any:
    raise JSONProblem(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONProblem("number too large (not finite)")
    return value


# Integers orjson (the audit's store and caches) and the engines take: signed or unsigned 64 bits.
# Python alone would parse any length (and fail with a bare ValueError past 4,300 digits).
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
TOO_LARGE_INTEGER = "integer too large (beyond 64 bits) is not accepted"


def line_of_byte(data: bytes | str, offset: int) -> int:
    """The line (1-based) holding byte (or character, of a str) `offset` of `data`: where a
    decoding error points a person who opens the file (at a line, not at a byte offset). A line
    ends at \\n, \\r\\n or a lone \\r, as the audit splits a log (reader.physical_lines) and an
    editor counts: a file saved with \\r alone had every error named at line 1."""
    lf, cr, crlf = (b"\n", b"\r", b"\r\n") if isinstance(data, bytes) else ("\n", "\r", "\r\n")
    head = data[:offset]
    ends = head.count(lf) + head.count(cr) - head.count(crlf)
    if head.endswith(cr) and data[offset:offset + 1] == lf:  # (the \r of a \r\n: that line ends after offset)
        ends -= 1
    return ends + 1


_LONE_CR = re.compile(r"\r(?!\n)")


def with_line_feeds(text: str) -> str:
    """`text` with each lone \\r made a \\n, before it is parsed: the parser counts lines by \\n
    alone, and a request (a body) saved with \\r line ends had every problem named at line 1.
    Raw, a \\r can only be spacing in JSON (inside a string it is refused either way)."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


def utf16_hint(data: bytes) -> str:
    """What to add to a "not UTF-8" error when the text starts with a UTF-16 byte order mark
    (Windows tools save "Unicode" text so): otherwise every line is only "not UTF-8"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ": the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8"
    packed = compressed_as(data)
    if packed:
        return f": the file is {packed}; decompress it first"
    return ""


# What a file that is not text at all most often is: a log compressed by logrotate or a copy tool.
_COMPRESSED = ((b"\x1f\x8b", "gzip-compressed (.gz)"), (b"BZh", "bzip2-compressed (.bz2)"),
               (b"\xfd7zXZ\x00", "xz-compressed (.xz)"), (b"\x28\xb5\x2f\xfd", "zstd-compressed (.zst)"),
               (b"PK\x03\x04", "a zip archive"))


def compressed_as(data: bytes) -> str | None:
    """What kind of compressed file `data` (its first bytes) opens, or None."""
    for magic, kind in _COMPRESSED:
        if data.startswith(magic):
            return kind if magic != b"BZh" or data[3:4].isdigit() else None
    return None


def int_out_of_range(value: int) -> bool:
    return value < INT_MIN or value > INT_MAX


def _bounded_int(text: str) -> int:
    # 21 characters hold every 64-bit integer with its sign: longer text is refused unparsed.
    if len(text.lstrip("-")) > 20:
        raise JSONProblem(TOO_LARGE_INTEGER)
    value = int(text)
    if int_out_of_range(value):
        raise JSONProblem(TOO_LARGE_INTEGER)
    return value


# The strict decoder, also for the server's query text (checker/server.py).
STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite, parse_int=_bounded_int)
_DECODER = STRICT_DECODER


class _Duplicated(dict):  # type: ignore[type-arg]
    """(Only when locating a problem) an object that had a key twice; `key` is the first repeat."""

    key = ""


_NOT_FINITE = object()


def _marking_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    marked = _Duplicated(out)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.key = key
            break
        seen.add(key)
    return marked


def _marking_float(text: str) -> Any:
    value = float(text)
    return _NOT_FINITE if math.isinf(value) else value


def _marking_int(text: str) -> Any:
    try:
        return _bounded_int(text)
    except JSONProblem:
        return _NOT_FINITE


_LOCATING = json.JSONDecoder(object_pairs_hook=_marking_pairs, parse_constant=lambda name: _NOT_FINITE, parse_float=_marking_float, parse_int=_marking_int)


def _located(text: str, fallback: "JSONProblem") -> "JSONProblem":
    """The problem a strict decode raised (a duplicate key, a number that is not finite or an
    integer beyond 64 bits), again
    with the JSON path and line it is at: the text is decoded once more, marking what the strict
    decoder refused, and the first mark found (in document order) is it. Only on the error path."""
    try:
        doc = _LOCATING.decode(text)
    except ValueError:
        return fallback
    for path, value in _walk(doc, []):
        if isinstance(value, _Duplicated):
            # named at the key that came twice (the second one's line): the object's own path
            # and first line sent people to the wrong place
            where = path + [value.key]
            return JSONProblem(f"duplicate key {safe_key(value.key)}", _line_of_second_key(text, path, value.key), json_path(where))
        if value is _NOT_FINITE:
            return JSONProblem(fallback.reason, _line(text, path), json_path(path))
    return fallback


def _invisible_at(text: str, pos: int) -> str:
    """What a person cannot see at a parse error's place: a NUL (a log padded by a crash or a
    full disk), another control character, a no-break or zero-width space pasted from a word
    processor, a Unicode line separator — named by code point (it is not the value: one character)."""
    if pos >= len(text):
        return ""
    char = text[pos]
    if char == "\x00":
        return ": the character there is a NUL (U+0000): NUL bytes (a file padded after a crash or a full disk?)"
    if char in " \t\r\n" or (char.isprintable() and not char.isspace() and unicodedata.category(char) != "Cf"):
        return ""
    return f": the character there is U+{ord(char):04X} ({unicodedata.name(char, 'a control character').lower()}), which JSON does not take there"


_LENIENT = json.JSONDecoder(strict=False, object_pairs_hook=_marking_pairs, parse_constant=lambda name: _NOT_FINITE, parse_float=_marking_float, parse_int=_marking_int)
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_NAMES = {0x0A: "a line break", 0x0D: "a carriage return", 0x09: "a tab"}


def _control_located(text: str, exc: json.JSONDecodeError) -> "JSONProblem":
    """A raw control character inside a string (a note pasted with its line breaks, a NUL) named
    at the JSON path of the string or key that holds it, with what it is and how JSON writes it —
    not "Invalid control character at (column 7)" at `$`. The value is never shown."""
    code = ord(text[exc.pos]) if exc.pos < len(text) else 0
    what = _CONTROL_NAMES.get(code, "a control character")
    short = {0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"}.get(code)
    if code == 0:  # (escaped, it is refused too: unusable_text)
        reason = "holds a NUL (U+0000), which is not accepted: remove it"
    else:
        reason = f"holds {what} (U+{code:04X}) written raw: JSON needs it escaped (\\u{code:04x}{', or ' + short if short else ''})"
    try:
        doc = _LENIENT.decode(text)
    except ValueError:  # (another problem further on: the place is still the line)
        return JSONProblem("a string " + reason, exc.lineno)
    for path, value in _walk(doc, []):
        if isinstance(value, dict) and any(_CONTROL.search(key) for key in value):
            key = next(key for key in value if _CONTROL.search(key))
            return JSONProblem("a key " + reason, exc.lineno, json_path(path + [key]))
        if isinstance(value, str) and _CONTROL.search(value):
            return JSONProblem(reason, exc.lineno, json_path(path))
    return JSONProblem("a string " + reason, exc.lineno)


def _walk(value: Any, path: list[Any]) -> Any:
    """(path, value) of every value in document order, containers before what they hold."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, path + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path + [index])


def _line(text: str, path: list[Any]) -> int:
    return line_of_path(text, path) if "\n" in text else 1


def _line_of_second_key(text: str, path: list[Any], key: str) -> int:
    if "\n" not in text:
        return 1
    return lines_of_paths(text, [path + [key]], repeated=True)[0]


# A \u escape that may decode to a lone surrogate or NUL (or an escaped backslash before a "u":
# then the search below finds nothing). Raw text cannot hold either: bytes that decode as UTF-8
# hold no surrogates, and a raw NUL is not valid JSON.
_RISKY_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def unusable_text(value: Any, path: list[Any] | None = None) -> tuple[list[Any], str] | None:
    """(path, why) of the first string — key or value — that no store or engine can take: one
    holding a lone surrogate (it cannot be encoded as UTF-8: SQLite, regopy and every report
    would fail on it) or a NUL character (C strings end there); None when all are fine."""
    for where, item in _walk(value, path or []):
        if isinstance(item, dict):
            for key in item:
                why = _text_problem(key) if isinstance(key, str) else None
                if why:
                    return where + [key], "a key " + why
        elif isinstance(item, str):
            why = _text_problem(item)
            if why:
                return where, why
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (U+0000), which is not accepted"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "holds text that is not valid Unicode (a lone surrogate escape), which is not accepted"
    return None
# Strings as an unrolled, possessive loop: `(?:[^"\\]|\\.)*` keeps a backtracking entry per
# character (~170 MB for one 1 MB string).
_STRING_TOKEN = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_BRACKETS = re.compile(_STRING_TOKEN + r'|[\[\]{}]')


def nesting_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where nesting first goes past `limit`, or None. Linear, no recursion."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, m.start()) + 1
        elif tok in "]}":
            depth -= 1
    return None


def loads(text: str) -> Any:
    """Parse one JSON document strictly; raises JSONProblem."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise JSONProblem(f"document larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    deep = nesting_depth_exceeds(text)
    if deep is not None:
        raise JSONProblem(f"JSON nested deeper than {MAX_DEPTH} levels", deep)
    try:
        document = _DECODER.decode(text)
    except JSONProblem as exc:
        raise _located(text, exc) from None
    except json.JSONDecodeError as exc:
        if exc.msg.startswith("Invalid control character"):
            raise _control_located(text, exc) from None
        if text[exc.pos:exc.pos + 1] == "\ufeff":
            raise JSONProblem(f"not valid JSON: a byte order mark (U+FEFF) inside the text, not at its start (files joined?) (column {exc.colno})",
                              exc.lineno) from None
        # exc.msg is the parser's description ("Expecting ',' delimiter"); it never quotes the text.
        raise JSONProblem(f"not valid JSON: {exc.msg} (column {exc.colno}){_invisible_at(text, exc.pos)}", exc.lineno) from None
    except RecursionError as exc:  # (nesting is bounded above: not expected)
        raise JSONProblem(f"not acceptable JSON ({type(exc).__name__})") from None
    if "\\u" in text and _RISKY_ESCAPE.search(text):
        found = unusable_text(document)
        if found is not None:
            raise JSONProblem(found[1], _line(text, found[0]), json_path(found[0]))
    return document


# At most this many JSON values in one request (check, serve): real ones hold about a hundred; the
# engine's memory grows with them (20,000 values: +50 MB), and one `check` stays under ~100 MB.
MAX_REQUEST_VALUES = 10_000


def holds_more_values(value: Any, limit: int = MAX_REQUEST_VALUES) -> bool:
    """Does `value` hold more than `limit` JSON values (itself, every member and item, nested)?"""
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def safe_key(key: str, limit: int = 40) -> str:
    """A key name fit for an error message: escaped, cut short. Keys name fields, not patients."""
    text = key if len(key) <= limit else key[:limit] + "…"
    return json.dumps(text, ensure_ascii=True)


def json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(p)):
            out += f".{p}"
        else:
            out += f"[{safe_key(str(p))}]"
    return out


# ---------------------------------------------------------------------------------------------
# Locating a JSON path's line in a pretty-printed document (only used to report errors).

_TOKEN = re.compile(r'\s*(?:(' + _STRING_TOKEN + r')|([\[\]{}:,])|(-?[0-9][^,\]}\s]*|true|false|null))', re.S)


def line_of_path(text: str, path: list[Any]) -> int:
    """The 1-based line where the value at `path` starts (or its nearest existing parent)."""
    return lines_of_paths(text, [path])[0]


def lines_of_paths(text: str, paths: list[list[Any]], *, repeated: bool = False) -> list[int]:
    """line_of_path for many paths in one pass over the text (a document with many problems
    must not be scanned once per problem). With `repeated`, a value whose key came twice in its
    object is placed at its second occurrence (a duplicate key's line)."""
    wanted = {tuple(path[:n]) for path in paths for n in range(len(path) + 1)}
    starts: dict[tuple[Any, ...], int] = {}
    again: set[tuple[Any, ...]] = set()
    # One entry per open container: [kind, path of the container, next index or pending key]
    stack: list[list[Any]] = []
    pos = 0
    expecting_key = False
    try:
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                break
            string, punct, scalar = m.groups()
            start = m.start(1) if string is not None else m.start(2) if punct is not None else m.start(3)
            pos = m.end()
            if expecting_key and string is not None:
                stack[-1][2] = json.loads(string)
                expecting_key = False
                continue
            if punct == ":":
                continue
            if punct == ",":
                if stack and stack[-1][0] == "{":
                    expecting_key = True
                elif stack:
                    stack[-1][2] += 1
                continue
            if punct in ("}", "]"):
                stack.pop()
                continue
            # a value starts: a scalar, a string, or a container
            where = tuple(stack[-1][1]) + (stack[-1][2],) if stack else ()
            if where in wanted and (where not in starts or (repeated and where not in again)):
                if where in starts:
                    again.add(where)
                starts[where] = text.count("\n", 0, start) + 1
            if punct in ("{", "["):
                stack.append([punct, list(where), 0 if punct == "[" else None])
                expecting_key = punct == "{"
    except Exception:
        pass
    out = []
    for path in paths:
        line = 1
        for n in range(len(path) + 1):
            found = starts.get(tuple(path[:n]))
            if found is None:
                break
            line = found
        out.append(line)
    return out
