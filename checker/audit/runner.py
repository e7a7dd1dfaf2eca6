"""`clinimg audit`: decide every event of the logs in time order, then the open lifecycles.

Flow (ARCHITECTURE.md): lines → reader (parsed, validated, counted) → state (the input before
the event) → engine (decided in batches) → findings → report. Every input line ends up in exactly
one of decided / invalid / duplicate.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from ..engines.base import EngineFailure
from ..errors import CheckerError
from .findings import FindingTally, FindingsFile
from .reader import Event, EventParser, FilePosition, InputProblem, LogLine, LogSet, OutOfOrder
from .state import State
from .store import Store, event_facts

# Lines a pass takes at a time. Everything a chunk's events need at once (their inputs, each with
# the patient's consents on file; cache keys; the misses' JSON) is held together, and the heap
# keeps that high-water mark: on a varied night it grows with the consents a patient has. 4,096
# made each partition peak ~60 MB higher than 1,024 on 120k diverse lines (222 vs 156 MB; whole
# audit 622 vs 490 MB) for the same CPU (418 vs 427 s user) and a byte-identical report.
BATCH = 1024


# SPEC §5: a line that repeats an event_id is reported with file, line number and reason.
DUPLICATE_REASON = "repeats the event_id of an event already decided (in this run, or an earlier one on --state): not decided again"
# A line whose id an event with another time, type, actor, facility, patient or image already
# has: not a line sent twice but two events given one id — this one would otherwise pass as a
# harmless repeat, never judged.
CONFLICT_REASON = ("repeats the event_id of another event (a different time, type, actor, facility, patient or image; in this run, "
                   "or an earlier one on --state): two events cannot share an id, so this one was not decided — give it its own id")


@dataclasses.dataclass
class AuditReport:
    as_of: str
    files: list[str]
    counts: dict[str, int]
    # This run's findings in report order: a FindingsFile (read from the store, one at a time)
    # or, for a report rendered again from the store, a list.
    findings: FindingsFile | list[dict[str, Any]]
    invalid: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    engine_errors: list[dict[str, Any]]
    policy: dict[str, str]
    run_id: int
    state: str | None
    # The rules of the policy in force (catalogue minus the overlay's disabled, effects as
    # overridden): JUnit has a testcase for each, passing when it found nothing.
    rules: list[dict[str, str]] = dataclasses.field(default_factory=list)
    # Each waiver of the overlay that met a finding this run: {rule, event_id, approved_by,
    # status} — applied (the finding is not reported), or not applied because it expired or was
    # approved by the event's own actor (SPEC §4): what a privacy officer must be able to see.
    waivers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Each waiver of the overlay that met no finding this run {rule, event_id, approved_by,
    # expires}: mistyped, stale, or for an event of another night (audit/waivers.py).
    unused_waivers: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Events of this run older than the latest event earlier runs on the store decided (a late
    # log): {"count", "before"} — they, and the later events already decided, were not decided in
    # time order across the runs (SPEC §5). None when there are none.
    late_events: dict[str, Any] | None = None
    # For the HTML report (not in as_dict: the same night audited twice gives the same JSON):
    # when this run started, the hospital's time zone, findings by rule and effect across runs.
    started: str = ""
    timezone: str | None = None
    period: dict[str, str] = dataclasses.field(default_factory=dict)  # first and last event decided
    trend: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # FHIR input (checker/fhir): resources read per type and each one not mapped to an event.
    fhir: dict[str, Any] | None = None
    # The findings' counts (made as they were found; None: counted from `findings`).
    tally: FindingTally | None = None

    def __post_init__(self) -> None:
        if self.tally is None:
            self.tally = FindingTally.of(self.findings)

    @property
    def has_deny(self) -> bool:
        assert self.tally is not None
        return self.tally.has_deny

    def summary(self) -> dict[str, dict[str, int]]:
        assert self.tally is not None
        return self.tally.summary()

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
            "waivers": self.waivers,
            "unused_waivers": self.unused_waivers,
            **({"late_events": self.late_events} if self.late_events else {}),
            "policy": self.policy,
            "rules": self.rules,
            **({"fhir": self.fhir} if self.fhir is not None else {}),
        }

    def document(self) -> dict[str, Any]:
        """as_dict and what only the HTML page shows (the run, its time zone, the trend): what the
        store keeps so that `clinimg audit report` renders this run's report again, byte for byte."""
        return {**self.as_dict(), "run": {"id": self.run_id, "started": self.started, "timezone": self.timezone, "period": self.period}, "trend": self.trend}


@dataclasses.dataclass
class Decided:
    """What one pass over (a partition of) the logs produced; merged across partitions."""

    counts: dict[str, int]
    tally: FindingTally  # the findings themselves are in the store (findings.py)
    invalid: list[dict[str, Any]]  # each with "_q": [offset, length] in the quarantine spool
    duplicates: list[dict[str, Any]]
    engine_errors: list[dict[str, Any]]
    as_of_ns: int
    fallback: str | None = None  # why this partition could not be decided on its own
    waivers: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # as decisions listed them
    late: int = 0  # events older than the latest event of earlier runs on the store
    earlier_latest_ns: int | None = None
    slices: int = 1  # how many processes, one after another, decided it (partition.py)

    # (a partition sends it to the parent, and hands it to its next process, as JSON)
    def as_json(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, "tally": self.tally.as_dict()}

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "Decided":
        return cls(**{**fields, "tally": FindingTally.from_dict(fields["tally"])})


@dataclasses.dataclass
class Handover:
    """A streamed pass stopped where a fresh process can take it up (partition.py): between two
    instants, nothing waiting for the engine. What it has counted and found so far (`so_far`; the
    findings themselves, its events and the state's records are in the store), where each log
    file resumes, how far the invalid-line spool has got, the latest event time it saw, and the
    ids of the patients and images the state holds (their records saved in the store)."""

    so_far: Decided
    positions: list[FilePosition]
    spooled: int
    latest: int | None
    patients: list[str]
    images: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"so_far": self.so_far.as_json(), "positions": [p.as_list() for p in self.positions], "spooled": self.spooled,
                "latest": self.latest, "patients": self.patients, "images": self.images}

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> "Handover":
        return cls(Decided.from_json(fields["so_far"]), [FilePosition.from_list(p) for p in fields["positions"]], int(fields["spooled"]),
                   fields["latest"], list(fields["patients"]), list(fields["images"]))


class Pending(NamedTuple):
    """An input waiting for the engine: an event's (or, with event None, an image review's), and
    its fast cache key (None: decided on its canonical key, or exactly)."""

    event: Event | None
    doc: dict[str, Any]
    fast_key: Any


class _Pass:
    """One pass over (a partition of) the logs: what it has found so far, and each step of the
    pipeline lines → parsed → sorted (invalid / duplicate / new) → inputs → decisions → findings."""

    def __init__(self, *, store: Any, state: State, engine: Any, spool: Any, owns_patient: Callable[[str], bool] | None,
                 resume: Handover | None = None) -> None:
        self.store, self.state, self.engine, self.spool, self.owns_patient = store, state, engine, spool, owns_patient
        self.counts = {"read": 0, "decided": 0, "invalid": 0, "duplicate": 0}
        self.tally = FindingTally()
        self.invalid: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.engine_errors: list[dict[str, Any]] = []
        self.waivers: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.latest: int | None = store.latest_occurred_ns()
        self.earlier_latest = self.latest  # (earlier runs only: this pass has added nothing yet)
        self.late = 0
        self.pending: list[Pending] = []
        self.spooled = 0
        self.slices = 1
        if resume is not None:  # taken up from an earlier process of the same pass
            so_far = resume.so_far
            self.counts, self.tally, self.invalid, self.duplicates, self.engine_errors = (
                dict(so_far.counts), so_far.tally, list(so_far.invalid), list(so_far.duplicates), list(so_far.engine_errors))
            self.waivers = {tuple(w.values()): w for w in so_far.waivers}
            self.late, self.slices = so_far.late, so_far.slices + 1
            self.latest, self.spooled = resume.latest, resume.spooled
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
            facts = event_facts(parsed.doc, parsed.occurred_ns)
            if event_id in known:
                self.counts["duplicate"] += 1
                reason = DUPLICATE_REASON if known[event_id] == facts else CONFLICT_REASON
                self.duplicates.append({"file": parsed.file, "line": parsed.line, "event_id": event_id, "reason": reason})
                continue
            if self.owns_patient is not None and not self.owns_patient(parsed.doc["patient"]["id"]):
                return "an event was routed to the wrong process"
            known[event_id] = facts
            new_events.append(parsed)
            if self.earlier_latest is not None and parsed.occurred_ns < self.earlier_latest:
                self.late += 1
            if self.latest is None or parsed.occurred_ns > self.latest:
                self.latest = parsed.occurred_ns
            self._queue_event(parsed)
            if parsed.doc["type"] == "breach_report":
                self.state.apply_breach_report(parsed.doc, parsed.occurred_ns)
            else:
                self.state.apply(parsed.doc, parsed.occurred_ns)
            # A lifecycle this event closed (or changed while closed) is reviewed now, once: its
            # hours are final. (Reviewed when a chunk ended instead, an image closed and changed
            # again in one chunk was reviewed once, in two chunks twice: engine errors and
            # findings of the first facts came and went with where chunks ended.)
            for img in self.state.changed_images():
                if not State.is_open(img):
                    self.review(img, parsed.occurred_ns)
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
        """Queue the image's lifecycle review (an open one as of `as_of_ns`, a closed one as of
        its last event: State.review_time) — unless the same facts were reviewed before and
        nothing was found (a fast key, State.review_key, finds that out without building it)."""
        as_of_ns = State.review_time(img, as_of_ns)
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
                continue
            # (an input no waiver names is answered from the cache, with no waivers: only
            # inputs decided here can list one)
            for w in decision.get("waivers") or ():
                entry = {k: w.get(k) for k in ("rule", "event_id", "approved_by", "status")}
                self.waivers.setdefault(tuple(entry.values()), entry)
            if pending.event is None:
                self._record_review(pending.doc, decision["findings"])
            elif decision["findings"]:
                self._record_event(pending.event, decision["findings"])

    # -- decisions → findings ---------------------------------------------------------------

    def _record_event(self, event: Event, found: list[dict[str, Any]]) -> None:
        context = _context(event.doc)
        for f in found:
            _record(self.store, self.tally, f, event.doc["event_id"], context)

    def _record_review(self, review: dict[str, Any], found: list[dict[str, Any]]) -> None:
        for f in found:
            blamed = f.get("event_id") or review["event_id"]
            context = self.store.event_context(blamed) or _context(review)
            _record(self.store, self.tally, f, blamed, context)

    def decided(self, as_of_ns: int, fallback: str | None = None) -> Decided:
        return Decided(self.counts, self.tally, self.invalid, self.duplicates, self.engine_errors, as_of_ns, fallback=fallback,
                       waivers=list(self.waivers.values()), late=self.late, earlier_latest_ns=self.earlier_latest, slices=self.slices)

    def hand_over(self, positions: list[FilePosition]) -> Handover:
        """Stop here for a fresh process to take up (between chunks: nothing pending): the state's
        records are saved to the store, which keeps them for it."""
        assert not self.pending
        patients, images, patient_ids, image_ids = self.state.hand_over()
        self.store.save_state(patients, images)
        return Handover(self.decided(0), positions, self.spooled, self.latest, patient_ids, image_ids)


class _Slicer:
    """The lines of a streamed pass, up to a place a fresh process can take it up from: once
    `limit` lines have been given, before the first line of an instant later than every line
    given — so every line of the instants given was given, and (files streamed in time order)
    no later line belongs before them. `positions` then says where each file resumes.

    A file's lines are given in its own order but for lines of one instant (sorted by event_id)
    and invalid lines (given out as soon as they are read, ahead of the instant held before
    them): the place to resume a file is just after its longest given prefix (by `seq`), and
    the lines given beyond that prefix are skipped there. Where a line with a time is among
    those (an instant not given whole), that is no place to stop: the pass goes on."""

    # With `ready`, a place to stop is taken only when ready() says so; it is asked again
    # this many lines later (ready() may cost a system call).
    RECHECK_LINES = 1024

    def __init__(self, lines: Iterable[LogLine], limit: int, starts: list[FilePosition], ready: Callable[[], bool] | None = None) -> None:
        self.lines, self.limit, self.ready = lines, limit, ready
        self.positions: list[FilePosition] | None = None  # set when it stopped early
        # per file: the given prefix (last seq, its line number, the offset after it, the last
        # time in it) and the lines given beyond it (seq → (line number, end, time))
        self._prefix = [[0, s.number - 1, s.offset, s.last_ns] for s in starts]
        self._beyond: list[dict[int, tuple[int, int, int]]] = [{} for _ in starts]
        self._skipped = [s.skip for s in starts]

    def __iter__(self) -> Iterator[LogLine]:
        given, latest = 0, -1
        prefix, beyond = self._prefix, self._beyond
        for line in self.lines:
            if given >= self.limit and line.ns > latest:
                if self.ready is not None and not self.ready():
                    self.limit = given + self.RECHECK_LINES
                else:
                    positions = self._resume_points()
                    if positions is not None:
                        self.positions = positions
                        return
            given += 1
            if line.ns > latest:
                latest = line.ns
            mine, ahead = prefix[line.index], beyond[line.index]
            ahead[line.seq] = (line.line, line.end, line.ns)
            while mine[0] + 1 in ahead:  # the prefix grows by the lines that now follow it
                number, end, ns = ahead.pop(mine[0] + 1)
                mine[0], mine[1], mine[2] = mine[0] + 1, number, end
                if ns >= 0:
                    mine[3] = ns
            yield line

    def _resume_points(self) -> list[FilePosition] | None:
        points = []
        for (_, number, end, last_ns), ahead, skipped in zip(self._prefix, self._beyond, self._skipped):
            if any(ns >= 0 for _, _, ns in ahead.values()):
                return None
            # (lines skipped on the way here that lie past the prefix are skipped again)
            skip = frozenset(n for n, _, _ in ahead.values()) | frozenset(n for n in skipped if n > number)
            points.append(FilePosition(end, number + 1, last_ns, skip))
        return points


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
    slice_lines: int | None = None,
    slice_when: Callable[[], bool] | None = None,
    resume: Handover | None = None,
) -> Decided | Handover:
    """Decide every line of `logs` (in time order) against `state`, then the open lifecycles.

    spool: a binary file the invalid lines are written to, verbatim (the report says where).
    resolve_as_of: given the latest event time this pass saw (or None), the time to judge open
        lifecycles at (a partition asks its parent: the latest event over all partitions).
    owns_patient: in a partition, which patients are this process's; an event of another
        patient, or one reaching another patient's image, ends the pass with `fallback` set.
    on_chunk: called with the count of lines read after every chunk; returning False stops.
    sort: sort the lines first (else they are streamed, and OutOfOrder raised if they are not in
        time order: see decide_in_order).
    slice_lines: a streamed pass stops after about this many lines (at the next instant) and
        returns a Handover, for a fresh process to take up with `resume` (partition.py: memory
        that grows with the lines a process has decided is given back whole).
    slice_when: with slice_lines, the pass stops only once this also says so (asked at places
        to stop, at most every _Slicer.RECHECK_LINES lines): e.g. the process's memory is high.
    """
    parser = EventParser()
    run = _Pass(store=store, state=state, engine=engine, spool=spool, owns_patient=owns_patient, resume=resume)
    lines: Iterable[LogLine] = logs.ordered(sort=sort, start=resume.positions if resume is not None else None)
    slicer = None
    if slice_lines is not None and not sort:
        starts = resume.positions if resume is not None else logs.start_positions()
        lines = slicer = _Slicer(lines, slice_lines, starts, slice_when)
    for chunk in _chunks(lines, BATCH):
        stop = run.take([parser.parse(line) for line in chunk])
        if stop is not None:
            return run.decided(run.latest or 0, fallback=stop)
        run.flush()
        # Closed lifecycles leave memory (reviewed when they closed) and are saved.
        closed = state.evict_closed()
        if closed:
            store.save_state((), ((img["id"], False, img) for img in closed))
        # Patients and images no event used lately leave memory past State.SPILL_AT (a varied
        # night has ~100k patients a million lines); the store keeps them, events read them back.
        spilled_patients, spilled_images = state.spill()
        if spilled_patients or spilled_images:
            store.save_state(spilled_patients, spilled_images)
        store.checkpoint()
        if on_chunk is not None and not on_chunk(run.counts["read"]):
            return run.decided(run.latest or 0, fallback="stopped")
    if slicer is not None and slicer.positions is not None:
        return run.hand_over(slicer.positions)

    # Open lifecycles, judged as of --as-of (default: the latest event seen, this run or before).
    # (A closed image still in memory was loaded to answer an event, and was reviewed when it
    # closed, in this run or an earlier one.)
    as_of_ns = resolve_as_of(run.latest)
    for image_id in state.image_ids_to_review():  # in memory or spilled to the store, sorted
        img = state.get_image(image_id)
        if img is not None and State.is_open(img):
            run.review(img, as_of_ns)
        state.release(image_id)
        if len(run.pending) >= BATCH:  # (in batches: all open images at once is a peak of memory)
            run.flush()
    run.flush()
    if state.foreign_reference:
        return run.decided(run.latest or 0, fallback="an event reached an image of a patient decided in another process")
    store.save_state(*state.unsaved())
    return run.decided(as_of_ns)


def decide_in_order(logs: LogSet, *, store: Any, make_state: Callable[[], State], spool_path: str, resume: Handover | None = None,
                    resumed_state: Callable[[Handover], State] | None = None, **options: Any) -> Decided | Handover:
    """decide_logs, streaming the logs as they are (one pass); if they turn out not to be in time
    order, everything this pass wrote is rolled back and the logs are decided again, sorted (from
    the start, in this process, whatever earlier processes of the pass did: `store.undo`).
    resume: a Handover from an earlier process of this pass, with `resumed_state` to build its
    state."""
    store.mark()
    try:
        if resume is not None:
            assert resumed_state is not None
            with open(spool_path, "ab") as spool:
                if spool.tell() != resume.spooled:  # fail closed: the quarantine must be whole
                    raise CheckerError("audit: the invalid-line spool changed between two processes of one pass; nothing was kept")
                return decide_logs(logs, store=store, state=resumed_state(resume), spool=spool, resume=resume, **options)
        with open(spool_path, "wb") as spool:
            return decide_logs(logs, store=store, state=make_state(), spool=spool, **options)
    except OutOfOrder:
        store.undo()
    options.pop("slice_lines", None)  # (a sorted pass is not handed over)
    options.pop("slice_when", None)
    with open(spool_path, "wb") as spool:
        return decide_logs(logs, store=store, state=make_state(), spool=spool, sort=True, **options)


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
        "occurred_at": doc.get("occurred_at"),
        "actor_id": actor.get("id"),
        "role": actor.get("role"),
        "facility": doc.get("facility"),
        "patient_id": (doc.get("patient") or {}).get("id"),
        "image_id": (doc.get("image") or {}).get("id"),
    }


def _record(store: Store, tally: FindingTally, finding: dict[str, Any], event_id: str, context: dict[str, Any]) -> None:
    """Keep the finding as reported (with event, image, patient pseudonym, actor) in the store
    and count it — if it is new."""
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
    if store.add_finding(full):
        tally.add(full)
