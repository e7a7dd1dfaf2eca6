"""`clinimg audit`: decide every event of the logs in time order, then the open lifecycles.

Flow (ARCHITECTURE.md): lines → reader (parsed, validated, counted) → state (the input before
the event) → engine (decided in batches) → findings → report. Every input line ends up in exactly
one of decided / invalid / duplicate.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import sys
import tempfile
import time
from typing import Any, Callable, Iterable

from ..engines.base import EngineFailure
from ..errors import CheckerError
from ..policy import PolicySet
from .reader import Event, EventParser, InputProblem, LogSet
from .state import State, iso, parse_ns
from .store import Store

BATCH = 4096


@dataclasses.dataclass
class AuditReport:
    as_of: str
    files: list[str]
    counts: dict[str, int]
    findings: list[dict[str, Any]]
    invalid: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    engine_errors: list[dict[str, Any]]
    policy: dict[str, str]
    run_id: int
    state: str | None

    @property
    def has_deny(self) -> bool:
        return any(f["effect"] == "deny" for f in self.findings)

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {"by_rule": {}, "by_effect": {}, "by_facility": {}, "by_role": {}}
        for f in self.findings:
            for group, key in (("by_rule", f["rule"]), ("by_effect", f["effect"]), ("by_facility", f.get("facility") or "unknown"), ("by_role", f.get("role") or "unknown")):
                out[group][key] = out[group].get(key, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in out.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "files": self.files,
            "counts": self.counts,
            "summary": self.summary(),
            "findings": self.findings,
            "invalid": self.invalid,
            "duplicates": self.duplicates,
            "engine_errors": self.engine_errors,
            "policy": self.policy,
        }


class _Progress:
    """A line on stderr, rewritten in place, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = 0.0

    def show(self, read: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if force or now - self.last > 0.5:
            self.last = now
            sys.stderr.write(f"\rclinimg audit: {read:,} lines read")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def audit(
    paths: Iterable[str],
    *,
    policy: PolicySet,
    engine_factory: Callable[[PolicySet], Any],
    as_of: str | None = None,
    state_path: str | pathlib.Path | None = None,
    quarantine: str | pathlib.Path | None = None,
    progress: bool = True,
) -> AuditReport:
    as_of_ns = None
    if as_of is not None:
        try:
            as_of_ns = parse_ns(as_of)
        except ValueError:
            raise CheckerError("--as-of: not an RFC 3339 date-time with offset (e.g. 2026-11-24T02:00:00+11:00)") from None
    paths = list(paths)
    logs = LogSet(paths)
    tmpdir = None
    if state_path is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="clinimg-state-")
        state_path = os.path.join(tmpdir.name, "state.sqlite")
    store = Store(state_path)
    engine = None
    quarantine_file = None
    try:
        if quarantine is not None:
            try:
                quarantine_file = open(quarantine, "wb")
            except OSError as exc:
                raise CheckerError(f"{quarantine}: cannot write the quarantine file ({exc.strerror})") from None
        patients, images = store.load_state()
        state = State(patients, images, load_image=store.load_image)
        engine = engine_factory(policy)
        parser = EventParser()
        counts = {"read": 0, "decided": 0, "invalid": 0, "duplicate": 0}
        findings: list[dict[str, Any]] = []
        invalid: list[dict[str, Any]] = []
        duplicates: list[dict[str, Any]] = []
        engine_errors: list[dict[str, Any]] = []
        latest = store.latest_occurred_ns()
        pending: list[tuple[Event, dict[str, Any]]] = []
        bar = _Progress(progress)

        # The engine decides one batch in a background thread (its workers are processes) while
        # this thread reads and parses the next: decisions never feed back into the state.
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clinimg-engine")
        in_flight: list[tuple[list[tuple[Event, dict[str, Any]]], concurrent.futures.Future[Any]]] = []

        def collect() -> None:
            while in_flight:
                batch, future = in_flight.pop(0)
                for (event, doc), decision in zip(batch, future.result()):
                    if event is None:  # an image review
                        record_review(doc, decision)
                        continue
                    if isinstance(decision, EngineFailure):
                        engine_errors.append({"event_id": event.doc["event_id"], "file": event.file, "line": event.line, "reason": decision.reason})
                        continue
                    if decision["findings"]:
                        context = _context(event.doc)
                        for f in decision["findings"]:
                            findings.extend(_record(store, f, event.doc["event_id"], context))

        def record_review(review: dict[str, Any], decision: Any) -> None:
            if isinstance(decision, EngineFailure):
                engine_errors.append({"event_id": review["event_id"], "file": None, "line": None, "reason": decision.reason})
                return
            for f in decision["findings"]:
                blamed = f.get("event_id") or review["event_id"]
                context = store.event_context(blamed) or _context(review)
                findings.extend(_record(store, f, blamed, context))

        def flush() -> None:
            collect()  # at most one batch in flight
            if pending:
                batch = list(pending)
                in_flight.append((batch, executor.submit(engine.decide, [doc for _, doc in batch])))
                pending.clear()

        for chunk in _chunks(logs.ordered(), BATCH):
            parsed_chunk = [parser.parse(line) for line in chunk]
            # One look-up for the chunk's ids (earlier runs and earlier chunks of this one).
            known = store.seen_many([p.doc["event_id"] for p in parsed_chunk if not isinstance(p, InputProblem)])
            new_events: list[Event] = []
            for parsed in parsed_chunk:
                counts["read"] += 1
                if isinstance(parsed, InputProblem):
                    counts["invalid"] += 1
                    invalid.append(parsed.as_dict())
                    if quarantine_file is not None:
                        quarantine_file.write(parsed.raw + b"\n")
                    continue
                event_id = parsed.doc["event_id"]
                if event_id in known:
                    counts["duplicate"] += 1
                    duplicates.append({"file": parsed.file, "line": parsed.line, "event_id": event_id})
                    continue
                known.add(event_id)
                counts["decided"] += 1
                new_events.append(parsed)
                latest = parsed.occurred_ns if latest is None else max(latest, parsed.occurred_ns)
                pending.append((parsed, state.input_for(parsed.doc, parsed.occurred_ns)))
                if parsed.doc["type"] == "breach_report":
                    state.apply_breach_report(parsed.doc, parsed.occurred_ns)
                else:
                    state.apply(parsed.doc, parsed.occurred_ns)
            store.add_events((e.doc, e.occurred_ns) for e in new_events)
            bar.show(counts["read"])
            flush()
            # Closed lifecycles leave memory: reviewed now (their hours are final) and saved.
            closed = state.evict_closed()
            if closed and latest is not None:
                for img in closed:
                    review = state.review_input(img, latest)
                    if review is not None:
                        pending.append((None, review))
                store.save_state((), ((img["id"], False, img) for img in closed))
        bar.show(counts["read"], force=True)
        bar.done()

        # Open lifecycles, judged as of --as-of (default: the latest event seen, this run or before).
        if as_of_ns is None:
            as_of_ns = latest if latest is not None else time.time_ns()
        for image_id in sorted(state.images):
            review = state.review_input(state.images[image_id], as_of_ns)
            if review is not None:
                pending.append((None, review))
        flush()
        collect()
        executor.shutdown()

        store.save_state(
            ((pid, state.patients[pid]) for pid in sorted(state.touched_patients) if pid in state.patients),
            ((iid, State.is_open(state.images[iid]), state.images[iid]) for iid in sorted(state.touched_images) if iid in state.images),
        )
        findings.sort(key=lambda f: (f["rule"], f["event_id"], f["message"]))
        invalid.sort(key=lambda p: (p["file"], p["line"]))
        duplicates.sort(key=lambda d: (d["file"], d["line"]))
        report = AuditReport(
            as_of=iso(as_of_ns),
            files=logs.names,
            counts=counts,
            findings=findings,
            invalid=invalid,
            duplicates=duplicates,
            engine_errors=engine_errors,
            policy=policy.stamp(),
            run_id=store.run_id,
            state=None if tmpdir else str(state_path),
        )
        store.finish(report.as_of, {"counts": counts})
        store = None  # committed
        return report
    finally:
        if store is not None:
            store.abandon()
        if engine is not None:
            engine.close()
        if quarantine_file is not None:
            quarantine_file.close()
        logs.close()
        if tmpdir is not None:
            tmpdir.cleanup()


def _chunks(lines: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _context(doc: dict[str, Any]) -> dict[str, Any]:
    actor = doc.get("actor") or {}
    return {
        "actor_id": actor.get("id"),
        "role": actor.get("role"),
        "facility": doc.get("facility"),
        "patient_id": (doc.get("patient") or {}).get("id"),
        "image_id": (doc.get("image") or {}).get("id"),
    }


def _record(store: Store, finding: dict[str, Any], event_id: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """The finding as reported (with event, image, patient pseudonym, actor), if it is new."""
    full = {
        "rule": finding["rule"],
        "effect": finding["effect"],
        "message": finding["message"],
        "guide": finding.get("guide", ""),
        "remedy": finding.get("remedy", ""),
        "event_id": event_id,
        "image_id": context.get("image_id"),
        "patient_id": context.get("patient_id"),
        "actor_id": context.get("actor_id"),
        "role": context.get("role"),
        "facility": context.get("facility"),
    }
    return [full] if store.add_finding(full) else []
