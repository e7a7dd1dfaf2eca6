"""Text and JSON for `clinimg inspect` and `clinimg deidentify`."""
from __future__ import annotations

import json
from typing import Any

from .found import Inspection, safe_text
from .kinds import KINDS, sort_kinds


def inspect_json(results: list[Inspection | tuple[str, str]]) -> str:
    files: list[dict[str, Any]] = []
    for r in results:
        if isinstance(r, Inspection):
            files.append(r.as_dict())
        else:
            files.append({"file": r[0], "error": r[1]})
    present = sort_kinds({k for r in results if isinstance(r, Inspection) for k in r.kinds})
    doc = {"files": files, "kinds": {k: KINDS[k] for k in present}}
    # ASCII only: values are escaped, and no control or bidi character reaches a terminal.
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def inspect_text(results: list[Inspection | tuple[str, str]]) -> str:
    out: list[str] = []
    for r in results:
        if not isinstance(r, Inspection):
            continue  # errors go to stderr
        size = f", {r.width}×{r.height}" if r.width and r.height else ""
        head = f"{safe_text(r.path)}: {r.format} {r.modality}{size}"
        if not r.found:
            out.append(f"{head} — no identifying metadata found")
            continue
        out.append(f"{head} — identifying metadata: {', '.join(r.kinds)}")
        for kind in r.kinds:
            items = [f for f in r.found if f.kind == kind]
            out.append(f"  {kind:<14} {KINDS[kind]}")
            for f in items:
                out.append(f"      {f.where}" + (f" = {f.value}" if f.value is not None else ""))
    return "\n".join(out) + ("\n" if out else "")


def deidentify_text(result: dict[str, Any]) -> str:
    removed = result["removed"]
    what = f"removed: {', '.join(removed)}" if removed else "nothing identifying was found in the input"
    return (f"wrote {safe_text(result['output'])} ({result['format']}) — {what}; the copy holds no identifying metadata\n"
            f"  {result['method']}\n")


def deidentify_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, ensure_ascii=True) + "\n"
