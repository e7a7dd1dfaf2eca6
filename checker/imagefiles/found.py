"""What inspect finds: (kind, where, value) items and the per-file result."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from .kinds import KINDS, sort_kinds

VALUE_LIMIT = 200
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def safe_text(text: str) -> str:
    """Control and bidi characters shown escaped (metadata is attacker-controlled text)."""
    return _UNSAFE.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), text)


def render_value(value: Any) -> str:
    """A metadata value as one short, escaped line."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        stripped = raw.rstrip(b"\x00")
        text = None
        if stripped and len(stripped) <= 4 * VALUE_LIMIT:
            for encoding in ("utf-8", "utf-16"):
                try:
                    candidate = stripped.decode(encoding)
                except UnicodeDecodeError:
                    continue
                if candidate.isprintable():
                    text = candidate
                    break
        value = text if text is not None else f"<{len(raw)} bytes>"
    elif isinstance(value, tuple):
        value = "(" + ", ".join(render_value(v) for v in value) + ")"
    elif isinstance(value, list):
        value = "; ".join(render_value(v) for v in value)
    elif isinstance(value, float):
        value = f"{value:g}"
    text = safe_text(" ".join(str(value).split()))
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


@dataclasses.dataclass(frozen=True)
class Found:
    kind: str
    where: str
    value: str | None = None


class Collector:
    """Gathers findings; keeps values only when asked (they are patient or staff data)."""

    def __init__(self, values: bool = False) -> None:
        self.values = values
        self.items: list[Found] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, kind: str, where: str, value: Any = None) -> None:
        assert kind in KINDS, kind
        where = safe_text(where)
        key = (kind, where)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Found(kind, where, render_value(value) if self.values and value is not None else None))


@dataclasses.dataclass
class Inspection:
    path: str
    format: str
    modality: str  # photo | video | audio
    found: list[Found]
    width: int | None = None
    height: int | None = None
    readers: list[str] = dataclasses.field(default_factory=lambda: ["clinimg"])  # who read it

    @property
    def kinds(self) -> list[str]:
        return sort_kinds({f.kind for f in self.found})

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.path, "format": self.format, "modality": self.modality}
        if self.width and self.height:
            out["pixels"] = {"width": self.width, "height": self.height, "megapixels": round(self.width * self.height / 1e6, 2)}
        out["metadata_present"] = self.kinds
        out["readers"] = list(self.readers)
        out["found"] = [{k: v for k, v in dataclasses.asdict(f).items() if v is not None} for f in self.found]
        return out
