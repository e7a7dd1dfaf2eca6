"""`clinimg audit`: decide every event of the logs in time order, then the open lifecycles.

Flow (ARCHITECTURE.md): lines → reader (parsed, validated, counted) → state (the input before
the event) → engine (decided in batches) → findings → report. Every input line ends up in exactly
one of decided / invalid / duplicate.
"""
from __future__ import annotations

import dataclasses
import gc
import os
import pathlib
import sqlite3
import sys
import tempfile
import time
from typing import Any, Callable, Iterable

from ..engines.base import EngineFailure
from ..errors import CheckerError
from ..outputs import atomic_output, describe_oserror
from ..policy import PolicySet
from .reader import Event, EventParser, InputProblem, LogSet, OutOfOrder
from .state import State, iso, parse_ns
from .store import Store, describe_store_error

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
    # The rules of the policy in force (catalogue minus the overlay's disabled, effects as
    # overridden): JUnit has a testcase for each, passing when it found nothing.
    rules: list[dict[str, str]] = dataclasses.field(default_factory=list)
    # For the HTML report (not in as_dict: the same night audited twice gives the same JSON):
    # when this run started, the hospital's time zone, findings by rule and effect across runs.
    started: str = ""
    timezone: str | None = None
    period: dict[str, str] = dataclasses.field(default_factory=dict)  # first and last event decided
    trend: list[dict[str, Any]] = dataclasses.field(default_factory=list)

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
            "rules": self.rules,
        }

    def document(self) -> dict[str, Any]:
        """as_dict and what only the HTML page shows (the run, its time zone, the trend): what the
        store keeps so that `clinimg audit report` renders this run's report again, byte for byte."""
        return {**self.as_dict(), "run": {"id": self.run_id, "started": self.started, "timezone": self.timezone, "period": self.period}, "trend": self.trend}


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


@dataclasses.dataclass
class Decided:
    """What one pass over (a partition of) the logs produced; merged across partitions."""

    counts: dict[str, int]
    findings: list[dict[str, Any]]
    invalid: list[dict[str, Any]]  # each with "_q": [offset, length] in the quarantine spool
    duplicates: list[dict[str, Any]]
    engine_errors: list[dict[str, Any]]
    as_of_ns: int
    fallback: str | None = None  # why this partition could not be decided on its own


def decide_logs(
    logs: LogSet,
    *,
    store: Any,
    state: State,
    engine: Any,
    spool: Any,
    resolve_as_of: Callable[[int | None], int],
    owns_patient: Callable[[str], bool] | None = None,
    on_chunk: Callable[[int], bool] | None = None,
    sort: bool = False,
) -> Decided:
    """Decide every line of `logs` (in time order) against `state`, then the open lifecycles.

    spool: a binary file the invalid lines are written to, verbatim (the report says where).
    resolve_as_of: given the latest event time this pass saw (or None), the time to judge open
        lifecycles at (a partition asks its parent: the latest event over all partitions).
    owns_patient: in a partition, which patients are this process's; an event of another
        patient, or one reaching another patient's image, ends the pass with `fallback` set.
    on_chunk: called with the count of lines read after every chunk; returning False stops.
    sort: sort the lines first (else they are streamed, and OutOfOrder raised if they are not in
        time order: see decide_in_order).
    """
    parser = EventParser()
    # An engine with a fact-set cache takes cheap keys made from each line's shape (engines/cached.py).
    canon = engine.shortcuts()
    fast_keys = canon.fast_key if canon is not None else None
    counts = {"read": 0, "decided": 0, "invalid": 0, "duplicate": 0}
    findings: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    duplicates: list[dict[str, Any]] = []
    engine_errors: list[dict[str, Any]] = []
    latest = store.latest_occurred_ns()
    # (event — None for an image review —, decision input, its fast cache key or None)
    pending: list[tuple[Event | None, dict[str, Any], Any]] = []
    spooled = 0

    def record_decisions(batch: list[tuple[Event | None, dict[str, Any], Any]], decisions: list[Any]) -> None:
        for (event, doc, _), decision in zip(batch, decisions):
            if event is None:  # an image review
                record_review(doc, decision)
                continue
            if isinstance(decision, EngineFailure):
                engine_errors.append({"event_id": event.doc["event_id"], "file": event.file, "line": event.line, "reason": decision.reason})
                continue
            if decision["findings"]:
                record_findings(event, decision["findings"])

    def record_findings(event: Event, found: list[dict[str, Any]]) -> None:
        context = _context(event.doc)
        for f in found:
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
        if pending:
            batch = list(pending)
            pending.clear()
            docs = [doc for _, doc, _ in batch]
            if fast_keys is not None:
                record_decisions(batch, engine.decide(docs, [key for _, _, key in batch]))
            else:
                record_decisions(batch, engine.decide(docs))

    def review(img: dict[str, Any], as_of_ns: int) -> None:
        """Queue the image's lifecycle review — unless the same facts were reviewed before and
        nothing was found (a fast key, State.review_key, finds that out without building it)."""
        ok = fast_keys is not None and engine.shortcut_ok("image_review", img.get("capture_event_id") or f"image:{img['id']}")
        key = State.review_key(img, as_of_ns, canon.hours) if ok else None
        if key is not None:
            known = engine.known(key)
            if known is not None and not known["findings"]:
                return
        doc = state.review_input(img, as_of_ns)
        if doc is not None:
            pending.append((None, doc, key))

    def stopped(reason: str) -> Decided:
        return Decided(counts, findings, invalid, duplicates, engine_errors, latest or 0, fallback=reason)

    for chunk in _chunks(logs.ordered(sort=sort), BATCH):
        parsed_chunk = [parser.parse(line) for line in chunk]
        # One look-up for the chunk's ids (earlier runs and earlier chunks of this one).
        known = store.seen_many([p.doc["event_id"] for p in parsed_chunk if not isinstance(p, InputProblem)])
        new_events: list[Event] = []
        counts["read"] += len(parsed_chunk)
        for parsed in parsed_chunk:
            if isinstance(parsed, InputProblem):
                counts["invalid"] += 1
                entry = parsed.as_dict()
                spool.write(parsed.raw + b"\n")
                entry["_q"] = [spooled, len(parsed.raw) + 1]
                spooled += len(parsed.raw) + 1
                invalid.append(entry)
                continue
            event_id = parsed.doc["event_id"]
            if event_id in known:
                counts["duplicate"] += 1
                duplicates.append({"file": parsed.file, "line": parsed.line, "event_id": event_id})
                continue
            patient_id = parsed.doc["patient"]["id"]
            if owns_patient is not None and not owns_patient(patient_id):
                return stopped("an event was routed to the wrong process")
            known.add(event_id)
            new_events.append(parsed)
            if latest is None or parsed.occurred_ns > latest:
                latest = parsed.occurred_ns
            kind = parsed.doc["type"]
            if fast_keys is not None and parsed.fast is not None and engine.shortcut_ok(kind, event_id):
                # The state adds only the consents on file to most inputs, and the key reads them
                # from their signature: the input is built when it is needed (a new fact set).
                doc = state.input_for(parsed.doc, parsed.occurred_ns) if kind in State.ADDS_MORE_THAN_CONSENTS else None
                key = fast_keys(parsed.fast, doc or parsed.doc, state.consent_signature(patient_id))
                decision = engine.known(key)
                if decision is not None:
                    if decision["findings"]:
                        record_findings(parsed, decision["findings"])
                else:
                    pending.append((parsed, doc or state.input_for(parsed.doc, parsed.occurred_ns), key))
            else:
                pending.append((parsed, state.input_for(parsed.doc, parsed.occurred_ns), None))
            if kind == "breach_report":
                state.apply_breach_report(parsed.doc, parsed.occurred_ns)
            else:
                state.apply(parsed.doc, parsed.occurred_ns)
        if state.foreign_reference:
            return stopped("an event reached an image of a patient decided in another process")
        counts["decided"] += len(new_events)
        store.add_events((e.doc, e.occurred_ns) for e in new_events)
        flush()
        # Closed lifecycles leave memory: reviewed now (their hours are final) and saved.
        closed = state.evict_closed()
        if closed and latest is not None:
            for img in closed:
                review(img, latest)
            store.save_state((), ((img["id"], False, img) for img in closed))
        if on_chunk is not None and not on_chunk(counts["read"]):
            return stopped("stopped")

    # Open lifecycles, judged as of --as-of (default: the latest event seen, this run or before).
    as_of_ns = resolve_as_of(latest)
    for image_id in sorted(state.images):
        review(state.images[image_id], as_of_ns)
    flush()
    if state.foreign_reference:
        return stopped("an event reached an image of a patient decided in another process")
    store.save_state(
        ((pid, state.patients[pid]) for pid in sorted(state.touched_patients) if pid in state.patients),
        ((iid, State.is_open(state.images[iid]), state.images[iid]) for iid in sorted(state.touched_images) if iid in state.images),
    )
    return Decided(counts, findings, invalid, duplicates, engine_errors, as_of_ns)


def decide_in_order(logs: LogSet, *, store: Any, make_state: Callable[[], State], spool_path: str, **options: Any) -> Decided:
    """decide_logs, streaming the logs as they are (one pass); if they turn out not to be in time
    order, everything this pass wrote is rolled back and the logs are decided again, sorted."""
    store.mark()
    try:
        with open(spool_path, "wb") as spool:
            return decide_logs(logs, store=store, state=make_state(), spool=spool, **options)
    except OutOfOrder:
        store.undo()
    with open(spool_path, "wb") as spool:
        return decide_logs(logs, store=store, state=make_state(), spool=spool, sort=True, **options)


def audit(
    paths: Iterable[str],
    *,
    policy: PolicySet,
    engine_factory: Callable[[PolicySet], Any],
    as_of: str | None = None,
    state_path: str | pathlib.Path | None = None,
    quarantine: str | pathlib.Path | None = None,
    progress: bool = True,
    partitions: int | None = 1,
    partition_cache: bool = True,
) -> AuditReport:
    """Audit the logs. partitions None: one per core (at most 4) for logs of PARTITION_MIN_BYTES
    or more, else one. partitions > 1: that many processes, each deciding the events of its share
    of the patients (checker/audit/partition.py) with its own embedded engine — the same report
    as one process; when the logs tie patients together across partitions (an image used under
    two patients, an event id reused), the run is redone in one process."""
    started = _now_iso()
    as_of_ns = None
    if as_of is not None:
        try:
            as_of_ns = parse_ns(as_of)
        except ValueError:
            raise CheckerError("--as-of: not an RFC 3339 date-time with offset (e.g. 2026-11-24T02:00:00+11:00)") from None
    paths = list(paths)
    logs = LogSet(paths)
    if partitions is None:
        partitions = auto_partitions(logs)
    tune_gc()
    scratch = tempfile.TemporaryDirectory(prefix="clinimg-audit-")
    one_off = state_path is None  # no --state: the store lives as long as the run
    if state_path is None:
        state_path = os.path.join(scratch.name, "state.sqlite")
    store_role = "the audit's temporary store (TMPDIR)" if one_off else "--state"
    store = Store(state_path, role=store_role)
    engine = None
    bar = _Progress(progress)
    try:
        def resolve(latest: int | None) -> int:
            if as_of_ns is not None:
                return as_of_ns
            return latest if latest is not None else time.time_ns()

        decided: Decided | None = None
        spools: list[str] = []
        if partitions > 1:
            from .partition import run_partitions

            decided, spools, why = run_partitions(
                logs, policy=policy, store=store, scratch_dir=scratch.name, partitions=partitions,
                resolve_as_of=resolve, cache=partition_cache, bar=bar,
            )
            if decided is None:
                bar.done()
                sys.stderr.write(f"clinimg audit: {why}; deciding in one process instead\n")
        if decided is None:
            engine = engine_factory(policy)
            spool_path = os.path.join(scratch.name, "invalid.spool")
            decided = decide_in_order(
                logs, store=store, make_state=lambda: State(*store.load_state(), load_image=store.load_image), spool_path=spool_path,
                engine=engine, resolve_as_of=resolve, on_chunk=lambda read: bar.show(read) or True,
            )
            for entry in decided.invalid:
                entry["_q"] = [0, *entry["_q"]]
            spools = [spool_path]
        bar.show(decided.counts["read"], force=True)
        bar.done()

        decided.findings.sort(key=lambda f: (f["rule"], f["event_id"], f["message"]))
        decided.invalid.sort(key=lambda p: (p["file"], p["line"]))
        decided.duplicates.sort(key=lambda d: (d["file"], d["line"]))
        if quarantine is not None:
            _write_quarantine(quarantine, decided.invalid, spools)
        for entry in decided.invalid:
            entry.pop("_q", None)
        report = AuditReport(
            as_of=iso(decided.as_of_ns),
            files=logs.names,
            counts=decided.counts,
            findings=decided.findings,
            invalid=decided.invalid,
            duplicates=decided.duplicates,
            engine_errors=decided.engine_errors,
            policy=policy_stamp(policy, engine, store.previous_policy_digest()),
            run_id=store.run_id,
            state=None if one_off else str(state_path),
            rules=rules_in_force(policy),
            started=started,
            timezone=(policy.data.get("clinimg") or {}).get("config", {}).get("timezone"),
        )
        first_ns, last_ns = store.run_period()
        if first_ns is not None:
            report.period = {"from": iso(first_ns), "to": iso(last_ns)}
        summary = report.summary()
        report.trend = store.trend() + [{"run": store.run_id, "as_of": report.as_of, "by_rule_effect": _by_rule_effect(report.findings)}]
        store.save_run_report(started=started, as_of=report.as_of, digest=report.policy.get("digest", ""), counts=decided.counts,
                              by_effect=summary["by_effect"], by_rule_effect=report.trend[-1]["by_rule_effect"], document=report.document())
        store.finish(report.as_of, {"counts": decided.counts, "policy_digest": report.policy["digest"]})
        store = None  # committed
        return report
    except sqlite3.OperationalError as exc:  # a full disk, a read-only store: one line, rolled back
        raise CheckerError(f"{store_role}: {describe_store_error(exc)}; the run was rolled back and the store left as it was") from None
    except OSError as exc:  # the invalid-line spool (TMPDIR) full, a log that fails mid-read
        raise CheckerError(f"audit: {describe_oserror(exc)} (reading a log, or writing temporary files in TMPDIR); "
                           "the run was rolled back and the store left as it was") from None
    finally:
        if store is not None:
            store.abandon()
        if engine is not None:
            engine.close()
        logs.close()
        scratch.cleanup()


def policy_stamp(policy: PolicySet, engine: Any, previous_digest: str | None) -> dict[str, str]:
    """The policy that decided (an OPA server's engine knows its bundle's revision), and — when
    it differs from the one the previous run on this state store recorded — that one too, so
    every report says the policy changed between the two runs."""
    stamp = dict((engine.stamp() if engine is not None else None) or policy.stamp())
    if previous_digest is not None and previous_digest != stamp.get("digest"):
        stamp["previous_digest"] = previous_digest
    return stamp


# Below this much log a second process costs more than it saves (starting it and its engine).
PARTITION_MIN_BYTES = 16 * 1024 * 1024


def auto_partitions(logs: LogSet) -> int:
    size = sum(os.path.getsize(p) for p in logs.paths)  # stdin: its spool
    return min(4, os.cpu_count() or 1) if size >= PARTITION_MIN_BYTES else 1


def tune_gc() -> None:
    """The audit allocates millions of short-lived, acyclic objects (parsed events, inputs,
    decisions) beside a large, long-lived state: with the default thresholds the cyclic
    collector keeps re-scanning that state — a quarter of the run's time. Collect rarely."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)


def _write_quarantine(path: str | pathlib.Path, invalid: list[dict[str, Any]], spools: list[str]) -> None:
    """The invalid lines, verbatim, in file and line order (copied from the spools), written whole
    or not at all (a temporary file renamed into place: never truncated before it is written)."""
    handles = [open(p, "rb") for p in spools]
    try:
        with atomic_output(path, "--quarantine") as out:
            for entry in invalid:
                which, offset, length = entry["_q"]
                out.write(os.pread(handles[which].fileno(), length, offset))
    finally:
        for h in handles:
            h.close()


def _chunks(lines: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _now_iso() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rules_in_force(policy: PolicySet) -> list[dict[str, str]]:
    """The catalogue of the policy set as its overlay leaves it: disabled rules out, effects overridden."""
    from ..policy import catalogue

    config = (policy.data.get("clinimg") or {}).get("config") or {}
    switches = config.get("rules") or {}
    disabled = set(switches.get("disabled") or ())
    overrides = switches.get("effect_overrides") or {}
    return [
        {"id": r.id, "effect": overrides.get(r.id, r.effect), "section": r.section, "title": r.title, "passage": r.passage, "remedy": r.remedy}
        for r in catalogue(policy.modules)
        if r.id not in disabled
    ]


def _by_rule_effect(findings: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        by_effect = out.setdefault(f["rule"], {})
        by_effect[f["effect"]] = by_effect.get(f["effect"], 0) + 1
    return {rule: dict(sorted(v.items())) for rule, v in sorted(out.items())}


def _context(doc: dict[str, Any]) -> dict[str, Any]:
    actor = doc.get("actor") or {}
    return {
        "occurred_at": doc.get("occurred_at"),
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
        # The event's own time (a lifecycle finding: the event it blames, in UTC as the store
        # keeps it; the review's as-of when that event is unknown).
        "occurred_at": context.get("occurred_at"),
        "image_id": context.get("image_id"),
        "patient_id": context.get("patient_id"),
        "actor_id": context.get("actor_id"),
        "role": context.get("role"),
        "facility": context.get("facility"),
    }
    return [full] if store.add_finding(full) else []
