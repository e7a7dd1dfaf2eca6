"""The overlay's waivers that met no finding in a run: a waiver whose rule or event id is
mistyped, whose event was never logged, or whose rule no longer fires there waives nothing — and
said nothing, while a privacy officer believed it in force (SPEC §4). The audit report lists
them beside the waivers that met a finding (`unused_waivers`)."""
from __future__ import annotations

from typing import Any, Iterable


def unused_waivers(overlay_waivers: Iterable[Any], met: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each waiver of the overlay (its rule, event id, approver and expiry, never its reason: free
    text) that no finding of the run met, i.e. is absent from `met` (the report's `waivers`, one
    entry per waiver and status), in the overlay's order; the same waiver written twice, once."""
    seen = {(w.get("rule"), w.get("event_id"), w.get("approved_by")) for w in met}
    out: list[dict[str, Any]] = []
    for waiver in overlay_waivers:
        if not isinstance(waiver, dict):
            continue
        entry = {key: waiver.get(key) for key in ("rule", "event_id", "approved_by", "expires")}
        if (entry["rule"], entry["event_id"], entry["approved_by"]) not in seen and entry not in out:
            out.append(entry)
    return out
