"""The overlay's waivers that met no finding in a run: a waiver whose rule or event id is
mistyped, whose event was never logged, or whose rule no longer fires there waives nothing — and
said nothing, while a privacy officer believed it in force (SPEC §4). The audit report lists
them beside the waivers that met a finding (`unused_waivers`).

With a state store (--state), a waiver whose event an earlier night's run decided is not listed:
that night's report already said whether it met a finding, and tonight's log does not hold the
event again (a lifecycle finding on it tonight still meets the waiver: it is then in `waivers`)."""
from __future__ import annotations

from typing import Any, Callable, Iterable


def unused_waivers(overlay_waivers: Iterable[Any], met: Iterable[dict[str, Any]],
                   decided_earlier: Callable[[list[str]], set[str]] = lambda ids: set()) -> list[dict[str, Any]]:
    """Each waiver of the overlay (its rule, event id, approver and expiry, never its reason: free
    text) that no finding of the run met, i.e. is absent from `met` (the report's `waivers`, one
    entry per waiver and status), in the overlay's order; the same waiver written twice, once.
    `decided_earlier(event_ids)`: which of them an earlier run on the state store decided — their
    waivers are left out."""
    seen = {(w.get("rule"), w.get("event_id"), w.get("approved_by")) for w in met}
    waivers = [w for w in overlay_waivers if isinstance(w, dict)]
    earlier = decided_earlier(sorted({w["event_id"] for w in waivers if isinstance(w.get("event_id"), str)}))
    out: list[dict[str, Any]] = []
    listed: set[tuple[Any, ...]] = set()  # (a set: an overlay may hold thousands of waivers)
    for waiver in waivers:
        entry = {key: waiver.get(key) for key in ("rule", "event_id", "approved_by", "expires")}
        key = tuple(entry.values())
        if entry["event_id"] in earlier or key[:3] in seen or key in listed:
            continue
        listed.add(key)
        out.append(entry)
    return out
