"""Strict JSON reading: one clear error naming file, line and JSON path; never the value.

Rejected: invalid JSON, duplicate keys, NaN/Infinity, nesting deeper than MAX_DEPTH, oversized
documents. Every failure is a CheckerError (or, for a log line, an InputProblem) — no traceback.
"""
from __future__ import annotations

import json
import re
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


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


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
        return _DECODER.decode(text)
    except JSONProblem as exc:
        raise exc
    except json.JSONDecodeError as exc:
        # exc.msg is the parser's description ("Expecting ',' delimiter"); it never quotes the text.
        raise JSONProblem(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except (RecursionError, ValueError) as exc:  # ValueError: an integer with too many digits
        raise JSONProblem(f"not acceptable JSON ({type(exc).__name__})") from None


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

_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([\[\]{}:,])|(-?[0-9][^,\]}\s]*|true|false|null))', re.S)


def line_of_path(text: str, path: list[Any]) -> int:
    """The 1-based line where the value at `path` starts (or its nearest existing parent)."""
    stack: list[list[Any]] = []  # [container, key-or-index, expecting_key]
    current: list[Any] = []
    best = 1
    pos = 0
    pending_key: Any = None
    target = list(path)
    try:
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                break
            start = m.start(1) if m.group(1) else m.start(2) if m.group(2) else m.start(3)
            pos = m.end()
            line = text.count("\n", 0, start) + 1
            string, punct, scalar = m.groups()
            if stack and stack[-1][0] == "{" and stack[-1][2] and string is not None:
                pending_key = json.loads(string)
                stack[-1][2] = False
                continue
            if punct == ":":
                current = current[: len(stack) - 1] + [pending_key]
                if current == target[: len(current)]:
                    best = line
                continue
            if punct == ",":
                if stack and stack[-1][0] == "{":
                    stack[-1][2] = True
                elif stack:
                    stack[-1][1] += 1
                    current = current[: len(stack) - 1] + [stack[-1][1]]
                    if current == target[: len(current)]:
                        best = line
                continue
            if punct in ("{", "["):
                if current == target:
                    return line
                stack.append([punct, 0, punct == "{"])
                if punct == "[":
                    current = current[: len(stack) - 1] + [0]
                    if current == target[: len(current)]:
                        best = line
                continue
            if punct in ("}", "]"):
                stack.pop()
                current = current[: len(stack)]
                continue
            # a scalar value
            if current == target:
                return line
    except Exception:
        return best
    return best
