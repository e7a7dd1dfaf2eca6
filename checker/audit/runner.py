"""`clinimg audit`: decide every event of the logs in time order, then the open lifecycles.

Flow (ARCHITECTURE.md): lines → reader (parsed, validated, counted) → state (the input before
the event) → engine (decided in batches) → findings → report. Every input line ends up in exactly
one of decided / invalid / duplicate.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import sqlite3
import tempfile
import time
from typing import Any, Callable, Iterable, NamedTuple

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
    # FHIR input (checker/fhir): resources read per type and each one not mapped to an event.
    fhir: dict[str, Any] | None = None

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
            **({"fhir": self.fhir} if self.fhir is not None else {}),
        }

    def document(self) -> dict[str, Any]:
        """as_dict and what only the HTML page shows (the run, its time zone, the trend): what the
        store keeps so that `clinimg audit report` renders this run's report again, byte for byte."""
        return {**self.as_dict(), "run": {"id": self.run_id, "started": self.started, "timezone": self.timezone, "period": self.period}, "trend": self.trend}


class _Progress:
    """How many lines were read, told to the caller's callback at most twice a second (the CLI
    draws it on a terminal); the library itself never writes to stderr."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.enabled = callback is not None
        self.last = 0.0

    def show(self, read: int, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last > 0.5:
            self.last = now
            self.callback(read)


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


class Pending(NamedTuple):
    """An input waiting for the engine: an event's (or, with event None, an image review's), and
    its fast cache key (None: decided on its canonical key, or exactly)."""

    event: Event | None
    doc: dict[str, Any]
    fast_key: Any


class _Pass:
    """One pass over (a partition of) the logs: what it has found so far, and each step of the
    pipeline lines → parsed → sorted (invalid / duplicate / new) → inputs → decisions → findings."""

    def __init__(self, *, store: Any, state: State, engine: Any, spool: Any, owns_patient: Callable[[str], bool] | None) -> None:
        self.store, self.state, self.engine, self.spool, self.owns_patient = store, state, engine, spool, owns_patient
        self.counts = {"read": 0, "decided": 0, "invalid": 0, "duplicate": 0}
        self.findings: list[dict[str, Any]] = []
        self.invalid: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.engine_errors: list[dict[str, Any]] = []
        self.latest: int | None = store.latest_occurred_ns()
        self.pending: list[Pending] = []
        self.spooled = 0
        # An engine with a fact-set cache takes cheap keys made from each line's shape (engines/cached.py).
        self.canon = engine.shortcuts()

    # -- lines → events ---------------------------------------------------------------------

    def take(self, parsed_chunk: list[Event | InputProblem]) -> str | None:
        """Count a chunk's parsed lines, keep the invalid and duplicate ones, queue each new
        event's decision and apply it to the state. A reason when the pass must stop."""
        # One look-up for the chunk's ids (earlier runs and earlier chunks of this one).
        known = self.store.seen_many([p.doc["event_id"] for p in parsed_chunk if not isinstance(p, InputProblem)])
        new_events: list[Event] = []
        self.counts["read"] += len(parsed_chunk)
        for parsed in parsed_chunk:
            if isinstance(parsed, InputProblem):
                self._keep_invalid(parsed)
                continue
            event_id = parsed.doc["event_id"]
            if event_id in known:
                self.counts["duplicate"] += 1
                self.duplicates.append({"file": parsed.file, "line": parsed.line, "event_id": event_id})
                continue
            if self.owns_patient is not None and not self.owns_patient(parsed.doc["patient"]["id"]):
                return "an event was routed to the wrong process"
            known.add(event_id)
            new_events.append(parsed)
            if self.latest is None or parsed.occurred_ns > self.latest:
                self.latest = parsed.occurred_ns
            self._queue_event(parsed)
            if parsed.doc["type"] == "breach_report":
                self.state.apply_breach_report(parsed.doc, parsed.occurred_ns)
            else:
                self.state.apply(parsed.doc, parsed.occurred_ns)
        if self.state.foreign_reference:
            return "an event reached an image of a patient decided in another process"
        self.counts["decided"] += len(new_events)
        self.store.add_events((e.doc, e.occurred_ns) for e in new_events)
        return None

    def _keep_invalid(self, problem: InputProblem) -> None:
        self.counts["invalid"] += 1
        entry = problem.as_dict()
        self.spool.write(problem.raw + b"\n")
        entry["_q"] = [self.spooled, len(problem.raw) + 1]
        self.spooled += len(problem.raw) + 1
        self.invalid.append(entry)

    # -- events → inputs → decisions --------------------------------------------------------

    def _queue_event(self, event: Event) -> None:
        """Decide the event from its fast key if that fact set was decided before, else queue
        its input (built from the state before the event)."""
        kind, state = event.doc["type"], self.state
        if self.canon is not None and event.fast is not None and self.engine.shortcut_ok(kind, event.doc["event_id"]):
            # The state adds only the consents on file to most inputs, and the key reads them
            # from their signature: the input is built when it is needed (a new fact set).
            doc = state.input_for(event.doc, event.occurred_ns) if kind in State.ADDS_MORE_THAN_CONSENTS else None
            key = self.canon.fast_key(event.fast, doc or event.doc, state.consent_signature(event.doc["patient"]["id"]))
            decision = self.engine.known(key)
            if decision is not None:
                self._record_event(event, decision["findings"])
            else:
                self.pending.append(Pending(event, doc or state.input_for(event.doc, event.occurred_ns), key))
        else:
            self.pending.append(Pending(event, state.input_for(event.doc, event.occurred_ns), None))

    def review(self, img: dict[str, Any], as_of_ns: int) -> None:
        """Queue the image's lifecycle review — unless the same facts were reviewed before and
        nothing was found (a fast key, State.review_key, finds that out without building it)."""
        ok = self.canon is not None and self.engine.shortcut_ok("image_review", img.get("capture_event_id") or f"image:{img['id']}")
        key = State.review_key(img, as_of_ns, self.canon.hours) if ok else None
        if key is not None:
            known = self.engine.known(key)
            if known is not None and not known["findings"]:
                return
        doc = self.state.review_input(img, as_of_ns)
        if doc is not None:
            self.pending.append(Pending(None, doc, key))

    def flush(self) -> None:
        """Decide the queued inputs, in one batch."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        docs = [p.doc for p in batch]
        decisions = self.engine.decide(docs, [p.fast_key for p in batch]) if self.canon is not None else self.engine.decide(docs)
        for pending, decision in zip(batch, decisions):
            if isinstance(decision, EngineFailure):
                event = pending.event
                where = (event.doc["event_id"], event.file, event.line) if event is not None else (pending.doc["event_id"], None, None)
                self.engine_errors.append(dict(zip(("event_id", "file", "line", "reason"), (*where, decision.reason))))
            elif pending.event is None:
                self._record_review(pending.doc, decision["findings"])
            elif decision["findings"]:
                self._record_event(pending.event, decision["findings"])

    # -- decisions → findings ---------------------------------------------------------------

    def _record_event(self, event: Event, found: list[dict[str, Any]]) -> None:
        context = _context(event.doc)
        for f in found:
            self.findings.extend(_record(self.store, f, event.doc["event_id"], context))

    def _record_review(self, review: dict[str, Any], found: list[dict[str, Any]]) -> None:
        for f in found:
            blamed = f.get("event_id") or review["event_id"]
            context = self.store.event_context(blamed) or _context(review)
            self.findings.extend(_record(self.store, f, blamed, context))

    def decided(self, as_of_ns: int, fallback: str | None = None) -> Decided:
        return Decided(self.counts, self.findings, self.invalid, self.duplicates, self.engine_errors, as_of_ns, fallback=fallback)


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
    run = _Pass(store=store, state=state, engine=engine, spool=spool, owns_patient=owns_patient)
    for chunk in _chunks(logs.ordered(sort=sort), BATCH):
        stop = run.take([parser.parse(line) for line in chunk])
        if stop is not None:
            return run.decided(run.latest or 0, fallback=stop)
        run.flush()
        # Closed lifecycles leave memory: reviewed now (their hours are final) and saved.
        closed = state.evict_closed()
        if closed and run.latest is not None:
            for img in closed:
                run.review(img, run.latest)
            store.save_state((), ((img["id"], False, img) for img in closed))
        if on_chunk is not None and not on_chunk(run.counts["read"]):
            return run.decided(run.latest or 0, fallback="stopped")

    # Open lifecycles, judged as of --as-of (default: the latest event seen, this run or before).
    as_of_ns = resolve_as_of(run.latest)
    for image_id in sorted(state.images):
        run.review(state.images[image_id], as_of_ns)
        if len(run.pending) >= BATCH:  # (in batches: all open images at once is a peak of memory)
            run.flush()
    run.flush()
    if state.foreign_reference:
        return run.decided(run.latest or 0, fallback="an event reached an image of a patient decided in another process")
    store.save_state(
        ((pid, state.patients[pid]) for pid in sorted(state.touched_patients) if pid in state.patients),
        ((iid, State.is_open(state.images[iid]), state.images[iid]) for iid in sorted(state.touched_images) if iid in state.images),
    )
    return run.decided(as_of_ns)


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
    progress: Callable[[int], None] | None = None,
    notice: Callable[[str], None] | None = None,
    partitions: int | None = 1,
    partition_cache: bool = True,
    amend_report: Callable[[AuditReport], None] | None = None,
) -> AuditReport:
    """Audit the logs. partitions None: one per core (at most 4) for logs of PARTITION_MIN_BYTES
    or more, else one. partitions > 1: that many processes, each deciding the events of its share
    of the patients (checker/audit/partition.py) with its own embedded engine — the same report
    as one process; when the logs tie patients together across partitions (an image used under
    two patients, an event id reused), the run is redone in one process, and `notice` is told why.
    `progress` is called with the number of lines read so far, at most twice a second.
    The caller tunes the garbage collector if it wants to (the CLI does: gctuning.py)."""
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
            if decided is None and notice is not None:
                notice(f"{why}; deciding in one process instead")
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
        if amend_report is not None:  # e.g. FHIR input: the report speaks of the FHIR files (checker/fhir/logs.py)
            amend_report(report)
        first_ns, last_ns = store.run_period()
        if first_ns is not None:
            report.period = {"from": iso(first_ns), "to": iso(last_ns)}
        summary = report.summary()
        report.trend = store.trend() + [{"run": store.run_id, "as_of": report.as_of, "by_rule_effect": _by_rule_effect(report.findings)}]
        store.save_run_report(started=started, as_of=report.as_of, digest=report.policy.get("digest", ""), counts=report.counts,
                              by_effect=summary["by_effect"], by_rule_effect=report.trend[-1]["by_rule_effect"], document=report.document())
        store.finish(report.as_of, {"counts": report.counts, "policy_digest": report.policy["digest"]})
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
