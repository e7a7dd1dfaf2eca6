"""`clinimg serve`: the decision service (SPEC §1, §6) on Starlette + uvicorn.

Endpoints
- `POST /v1/check` — body: a disclosure request → 200 the decision with its `policy` stamp
  (header `X-Decision-Id`); 400 with `problems` [{path, constraint, line}] for a bad request (never the
  offending value); 500/503 when the engine cannot decide — never a permit.
- `POST /v1/data/clinimg/decision` — OPA's Data API: `{"input": request}` →
  `{"result": decision-without-policy, "decision_id": …}` (plus `provenance` with
  `?provenance=true`, whose bundle revision is the policy digest), so any OPA client works
  against this service. A body without `input` gets OPA's answer for that — no `result` and an
  `api_usage_warning` — i.e. no decision (real OPA would evaluate the policy on an undefined input).
- `POST /v1/data/clinimg/config…` — the overlay in force; `POST /v1/data/<any other document the
  policies define>` (a rule package `clinimg/rules/storage/passcode`, a rule, an area, lib) — that
  document evaluated for the input, as OPA's Data API answers it (uncached); a path nothing
  defines — 200 without `result`, OPA's undefined document.
- `POST /v1/batch/data/clinimg/decision` — the OPA Batch API shape (Enterprise OPA's):
  `{"inputs": {"id": request, …}}` → `{"batch_decision_id", "responses": {"id": {"result",
  "decision_id"} | {"code", "message", "decision_id"}}}`; 200 all decided, 207 mixed (each
  response then has `http_status_code`), 500 none decided. `clinimg check --engine opa` uses it.
- `POST /v1/query` — OPA's Query API for one shape only, `r0 := data.clinimg.decision with input
  as {…}; r1 := …` (what opa-python-client's bulk_query_rule sends) → `{"result": [{"r0": …}]}`.
- `GET /health` → 200 `{"status", "policy": {version, digest}, "workers": {size, idle, busy, alive}}`
  (no token needed).
- `GET /metrics` (Prometheus), `GET /openapi.json`, `GET /v1/policies` (OPA's policy list):
  checker/platform.py; CDS Hooks (`GET /cds-services`, `POST /cds-services/{id}`): checker/cds.py.
- `GET /` — the clinician's page (checker/web.py), which asks through `POST /v1/check`.
- Anything else → 404 JSON.

Safety: bearer-token auth when a token is set (constant-time compare; 401 otherwise), the body
is read as a stream and refused (413) past `max_body_bytes` — a gzip body (Content-Encoding:
gzip, as OPA takes) also once decompressed — or (408, connection closed) when it has not fully
arrived within `body_timeout` seconds, JSON is read strictly (checker.jsonload:
duplicate keys, NaN and 1e309, deep nesting, lone surrogates and NUL refused with their path; a
leading BOM accepted), every input is schema-checked (and held to MAX_REQUEST_VALUES values)
before it is decided. The decision log (JSON Lines) holds decision id, time, path, outcome, rule
ids and the policy digest; patient and actor ids are masked by a keyed hash unless
`log_unmasked`; request bodies are never logged.

The embedded engine is a pool of EmbeddedEngine instances (one regopy worker process each,
canonical fact-set cache on); a request borrows one for its decision, so concurrent requests
never share an interpreter.
"""
from __future__ import annotations

import codecs
import asyncio
import contextlib
import dataclasses
import functools
import datetime
import hashlib
import hmac
import json
import os
import queue
import re
import secrets
import socket
import sys
import threading
import uuid
from collections import OrderedDict
from typing import Any, AsyncIterator, Callable, Iterator

from . import __version__, schemas, web
from .audit import event_shape
from .engines.base import EngineFailure, run_in_threads
from .errors import CheckerError, EngineError
from .httpproblem import Problem
from .jsonload import MAX_REQUEST_VALUES, STRICT_DECODER, JSONProblem, holds_more_values, json_path, line_of_byte, lines_of_paths, loads, nesting_depth_exceeds, unusable_text, utf16_hint, with_line_feeds
from .policy import PolicySet
from .policylint import document_names

DEFAULT_PORT = 8181
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_BODY_TIMEOUT = 10.0  # seconds for a request's whole body to arrive (a trickled body is refused)
DECISION_PATH = "clinimg/decision"
ENGINE_WAIT_SECONDS = 10.0
MAX_BATCH_INPUTS = 10_000
_MISSING = object()


# ---------------------------------------------------------------------------------------------
# The engine pool


def _first_line(exc: BaseException) -> str:
    """An engine error as a decision's reason: its first line (the rest is the engine's detail)."""
    return str(exc).splitlines()[0] if str(exc) else "engine error"


class EnginePool:
    """`size` embedded engines, each with its own regopy worker process; borrowed one at a time."""

    def __init__(self, policy: PolicySet, size: int, *, cache: bool = True, factory: Callable[[PolicySet], Any] | None = None) -> None:
        from .engines.embedded import EmbeddedEngine

        self._factory = factory or (lambda p: EmbeddedEngine(p, workers=1, cache=cache))
        self.policy = policy
        self.size = max(1, size)
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._all: list[Any] = []
        self._closed = False
        self._last_stats: dict[int, dict[str, int]] = {}
        for _ in range(self.size):
            engine = self._factory(policy)
            self._all.append(engine)
            self._idle.put(engine)
        self._warm()

    def _warm(self) -> None:
        """Start (and so compile the policy in) every worker now: a policy that does not compile
        stops `serve` at once, and the first requests do not pay for the compile."""
        for engine in self._all:
            try:
                engine.start()
            except CheckerError:
                self.close()
                raise

    @contextlib.contextmanager
    def _borrowed(self, wait: float) -> Iterator[Any]:
        """An idle engine for the duration of the block (503 when shutting down or none comes
        free within `wait` seconds), given back after."""
        if self._closed:
            raise Problem(503, "unavailable", "the decision service is shutting down")
        try:
            engine = self._idle.get(timeout=wait)
        except queue.Empty:
            raise Problem(503, "unavailable", "every engine worker is busy; try again") from None
        try:
            yield engine
        finally:
            self._idle.put(engine)

    def decide(self, inputs: list[dict[str, Any]], wait: float = ENGINE_WAIT_SECONDS) -> list[Any]:
        with self._borrowed(wait) as engine:
            try:
                return engine.decide(inputs)
            except EngineError as exc:
                return [EngineFailure(_first_line(exc)) for _ in inputs]

    def document(self, item: dict[str, Any], segments: list[str], wait: float = ENGINE_WAIT_SECONDS) -> Any:
        """data.<segments> for one input on a borrowed engine: (found, value) or EngineFailure."""
        with self._borrowed(wait) as engine:
            try:
                return engine.evaluate_document(item, segments)
            except EngineError as exc:
                return EngineFailure(_first_line(exc))

    def decide_parallel(self, inputs: list[dict[str, Any]]) -> list[Any]:
        """A big batch split across the pool, each part on its own engine."""
        if len(inputs) < 32 or self.size == 1:
            return self.decide(inputs)
        parts = min(self.size, (len(inputs) + 31) // 32)
        step = (len(inputs) + parts - 1) // parts
        chunks = [inputs[i : i + step] for i in range(0, len(inputs), step)]
        results: list[list[Any] | None] = [None] * len(chunks)

        def run(i: int) -> None:
            results[i] = self.decide(chunks[i])

        run_in_threads([functools.partial(run, i) for i in range(len(chunks))])
        return [r for part in results for r in (part or [])]

    def snapshot(self) -> dict[str, int]:
        """The workers' state for /health and /metrics: size, idle, busy, alive, and the cache's
        lookups and misses summed over every worker process. Idle engines are borrowed for a
        moment to ask their workers; a busy one counts with what it said last time."""
        taken: list[Any] = []
        with contextlib.suppress(queue.Empty):
            while len(taken) < self.size:
                taken.append(self._idle.get_nowait())
        alive = self.size - len(taken)  # busy engines are deciding: alive
        try:
            for engine in taken:
                stats = engine.cache_stats()
                self._last_stats[id(engine)] = stats
                alive += 1 if stats.get("alive", 1) else 0
        finally:
            for engine in taken:
                self._idle.put(engine)
        known = list(self._last_stats.values())
        return {"size": self.size, "idle": len(taken), "busy": self.size - len(taken), "alive": alive,
                "cache_lookups": sum(s.get("lookups", 0) for s in known), "cache_misses": sum(s.get("misses", 0) for s in known)}

    def close(self) -> None:
        self._closed = True
        for engine in self._all:
            with contextlib.suppress(Exception):
                engine.close()


# ---------------------------------------------------------------------------------------------
# The decision log


class DecisionLog:
    """JSON Lines, one line a decision. Patient and actor ids masked unless `unmasked`."""

    def __init__(self, path: str | None, *, unmasked: bool = False) -> None:
        self.path = path
        self.unmasked = unmasked
        self._salt = secrets.token_bytes(32)  # per process: hashes link one run's lines, no more
        self._lock = threading.Lock()
        self._fh = None
        if path:
            try:
                self._fh = open(path, "a", encoding="utf-8")
            except OSError as exc:
                raise CheckerError(f"{path}: cannot open the decision log ({exc.strerror or type(exc).__name__})") from None

    def mask(self, value: Any) -> Any:
        if value is None or self.unmasked:
            return value
        return "h:" + hmac.new(self._salt, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def write(self, *, decision_id: str, path: str, outcome: str, request: dict[str, Any] | None, rules: list[str], digest: str, reason: str | None = None) -> None:
        if self._fh is None:
            return
        entry: dict[str, Any] = {
            "decision_id": decision_id,
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "path": path,
            "outcome": outcome,
            "rules": rules,
            "policy": digest,
        }
        if isinstance(request, dict):
            actor = request.get("actor") if isinstance(request.get("actor"), dict) else {}
            patient = request.get("patient") if isinstance(request.get("patient"), dict) else {}
            entry["event_id"] = request.get("event_id")  # a system identifier, not a person
            entry["type"] = request.get("type")
            entry["actor"] = self.mask(actor.get("id"))
            entry["patient"] = self.mask(patient.get("id"))
        if reason:
            entry["reason"] = reason
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


# ---------------------------------------------------------------------------------------------
# The service: transport-free logic, one call per request (run in a worker thread)


@dataclasses.dataclass
class ServeOptions:
    token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    decision_log: str | None = None
    log_unmasked: bool = False
    workers: int = 2
    cache: bool = True
    # embedded: regopy worker processes; opa-inprocess: the reference OPA in this process, one
    # engine (with its per-rule cache) per pool slot (engines/opa_inprocess.py, opt-in)
    engine: str = "embedded"


def _pool_factory(options: ServeOptions) -> Callable[[PolicySet], Any] | None:
    """How the pool makes an engine: None for the default (regopy workers, each with its cache)."""
    if options.engine == "embedded":
        return None
    from .engines.factory import audit_engine

    return lambda policy: audit_engine(policy, options.cache, engine=options.engine)


class DecisionService:
    def __init__(self, policy: PolicySet, options: ServeOptions, *, pool: EnginePool | None = None) -> None:
        self.policy = policy
        self.options = options
        self.stamp = policy.stamp()
        self.log = DecisionLog(options.decision_log, unmasked=options.log_unmasked)
        try:
            self.pool = pool or EnginePool(policy, options.workers, cache=options.cache, factory=_pool_factory(options))
        except BaseException:
            self.log.close()
            raise
        self._token = options.token.encode("utf-8") if options.token else None
        from .cds import SERVICES
        from .metrics import Metrics

        self.metrics = Metrics(self, cds_services=tuple(SERVICES))
        # Schema verdicts for bodies seen before (keyed by a hash of the exact bytes, bounded).
        self._valid: OrderedDict[bytes, None] = OrderedDict()
        self._valid_lock = threading.Lock()

    def close(self) -> None:
        self.pool.close()
        self.log.close()

    def health(self) -> dict[str, Any]:
        """GET /health: up, the policy in force (its digest), and the engine workers' state."""
        workers = self.pool.snapshot()
        status = "ok" if workers["alive"] == workers["size"] else "degraded"
        return {"status": status, "policy": self.stamp,
                "workers": {k: workers[k] for k in ("size", "idle", "busy", "alive")}}

    # -- auth ------------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if self._token is None:
            return True
        if not header:
            return False
        scheme, _, credential = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credential.strip().encode("utf-8"), self._token)

    # -- parsing ---------------------------------------------------------------------------

    @staticmethod
    def parse_json(body: bytes) -> Any:
        body = body.removeprefix(codecs.BOM_UTF8)  # accepted at the start, as by `check`, `validate` and `audit`
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = line_of_byte(body, exc.start)
            raise Problem(400, "invalid_parameter", f"body is not UTF-8 (line {line}, byte {exc.start}){utf16_hint(body)}") from None
        if not text.strip(" \t\r\n"):  # (as `check` says it: not "Expecting value (column 1)")
            raise Problem(400, "invalid_parameter", "body is empty: no JSON document (a request is one JSON object)",
                          [{"path": "$", "constraint": "line 1: empty: no JSON document", "line": 1}])
        try:
            return loads(with_line_feeds(text))  # (lines as `check` numbers them: \n, \r\n or a lone \r)
        except JSONProblem as exc:
            # (`line` as `check --format json` gives it; the constraint keeps saying it too)
            raise Problem(400, "invalid_parameter", "body is not acceptable JSON", [{"path": exc.path, "constraint": f"line {exc.line}: {exc.reason}", "line": exc.line}]) from None

    @staticmethod
    def _with_lines(problems: list[tuple[list[Any], dict[str, Any]]], body: bytes | None, at: list[Any]) -> list[dict[str, Any]]:
        """Each problem with the `line` of its path in the body (as `check --format json` gives
        it; the body parsed, so it decodes) — when the body is known."""
        if body is None:
            return [problem for _, problem in problems]
        text = with_line_feeds(body.removeprefix(codecs.BOM_UTF8).decode("utf-8"))
        lines = lines_of_paths(text, [at + list(path) for path, _ in problems])
        return [{**problem, "line": line} for (_, problem), line in zip(problems, lines)]

    def request_problems(self, document: Any, prefix: str = "$", *, reviews: bool = False, body: bytes | None = None, at: list[Any] | None = None) -> list[dict[str, Any]]:
        """Schema problems of a request. With `reviews` (the OPA APIs, which the audit uses through
        `--engine opa`), the audit's lifecycle `image_review` input is accepted too: every field is
        checked as for a request, only its `type` is outside the request schema's enumeration.
        With `body` (the bytes the request was parsed from) and `at` (the request's path in it),
        each problem has the `line` its path starts at."""
        at = at or []
        if not isinstance(document, dict):
            return self._with_lines([([], {"path": prefix, "constraint": "must be a JSON object (a disclosure request)"})], body, at)
        schemas.upper_case_times(document)  # (in place: the engine reads one spelling of a time)
        compact = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # Requests that differ only in ids, times and ages share a verdict: the audit reader's shape
        # blanks only values the schema accepts anywhere (None: no shortcut, the exact bytes).
        key = hashlib.sha256(event_shape(compact) or compact).digest()
        with self._valid_lock:
            if key in self._valid:
                self._valid.move_to_end(key)
                return []
        if holds_more_values(document):  # the engine's memory grows with them
            return self._with_lines([([], {"path": prefix, "constraint": f"holds more than {MAX_REQUEST_VALUES} JSON values"})], body, at)
        found = schemas.problems("request", document)
        if reviews and document.get("type") == "image_review":
            found = [p for p in found if list(p.path) != ["type"]]
        if found:
            return self._with_lines([(list(p.path), {"path": prefix + json_path(p.path)[1:], "constraint": p.constraint}) for p in found], body, at)
        if document.get("type") == "image_review":  # valid only where reviews are; not remembered
            return []
        with self._valid_lock:
            self._valid[key] = None
            if len(self._valid) > 4096:
                self._valid.popitem(last=False)
        return []

    # -- deciding --------------------------------------------------------------------------

    def decide(self, path: str, request: dict[str, Any]) -> tuple[str, Any]:
        """One schema-checked request decided, logged and counted → (decision id, decision or
        EngineFailure). POST /v1/check, and endpoints outside this class (CDS Hooks, checker/cds.py)."""
        decision_id = str(uuid.uuid4())
        [result] = self.pool.decide([request])
        self._log(decision_id, path, request, result)
        return decision_id, result

    def _log(self, decision_id: str, path: str, request: Any, result: Any) -> None:
        self.metrics.decided(path, result)
        if isinstance(result, EngineFailure):
            self.log.write(decision_id=decision_id, path=path, outcome="error", request=request, rules=[], digest=self.stamp["digest"], reason="engine error")
        else:
            rules = sorted({str(f.get("rule")) for f in result.get("findings", [])})
            self.log.write(decision_id=decision_id, path=path, outcome=result.get("outcome", "?"), request=request, rules=rules, digest=self.stamp["digest"])

    def check(self, body: bytes) -> tuple[int, dict[str, Any], str | None]:
        """POST /v1/check → (status, body, decision id)."""
        document = self.parse_json(body)
        if isinstance(document, dict) and document.keys() == {"input"}:
            # An OPA client's habit: the Data API's shape sent to /v1/check ("$.actor: is required", …)
            raise Problem(400, "invalid_parameter", "the body is {\"input\": …}, the Data API's shape: POST it to /v1/data/clinimg/decision, "
                          "or send the request itself to /v1/check", self._with_lines([(["input"], {"path": "$.input", "constraint": "unknown key (the Data API's wrapper)"})], body, []))
        problems = self.request_problems(document, body=body)
        if problems:
            self.log.write(decision_id=str(uuid.uuid4()), path="/v1/check", outcome="invalid", request=None, rules=[], digest=self.stamp["digest"])
            raise Problem(400, "invalid_parameter", "the body is not a valid disclosure request (schemas/request.schema.json)", problems)
        decision_id, result = self.decide("/v1/check", document)
        if isinstance(result, EngineFailure):
            raise Problem(500, "engine_error", "the engine could not decide: no decision (fail closed)")
        return 200, {**result, "policy": self.stamp}, decision_id

    def provenance(self) -> dict[str, Any]:
        return {"version": __version__, "bundles": {"clinimg": {"revision": self.stamp["digest"]}}}

    def _document(self, segments: list[str]) -> tuple[list[str], list[str]] | None:
        """Where data.<segments> lies in the policy: (the document an engine evaluates — a
        package, a prefix of packages, or one rule of a package —, the path within its value), or
        None when no policy here can define it (OPA answers such a path with no `result`).
        Everything the policies define lies under a package, or under clinimg.config (data)."""
        if not segments or segments[0] != "clinimg":
            return None  # the bundle's only root (its .manifest `roots`)
        wanted = tuple(segments)
        for m in self.policy.modules:
            if m.is_test:
                continue
            package = tuple(m.package.split("."))
            if len(wanted) > len(package) and wanted[: len(package)] == package and wanted[len(package)] in document_names(m.source):
                return segments[: len(package) + 1], segments[len(package) + 1 :]  # a rule of the package (or a value within it)
        for m in self.policy.modules:
            if not m.is_test and tuple(m.package.split("."))[: len(wanted)] == wanted:
                return segments, []  # a document holding this package
        return None

    def data(self, path: str, body: bytes, *, provenance: bool = False) -> tuple[int, dict[str, Any]]:
        """POST /v1/data/{path} (OPA's Data API) → (status, body). data.clinimg.decision and any
        path within it (`…/decision/outcome`, `…/findings/0/rule`) are decided; data.clinimg.config
        is the overlay; any other document the policies define (a rule package's
        `data.clinimg.rules.storage.passcode`, its `deny`, an area, lib) is evaluated for the input
        as OPA evaluates it; a path no policy here defines is OPA's undefined document: 200
        without `result`."""
        segments = [s for s in path.strip("/").split("/") if s] if path.strip("/") else []
        within = segments[2:] if segments[:2] == DECISION_PATH.split("/") else None
        config = segments[2:] if segments[:2] == ["clinimg", "config"] else None
        document = self._document(segments) if within is None and config is None and segments else None
        undefined = within is None and config is None and document is None
        if not segments:
            raise Problem(404, "resource_not_found", "the whole data document is not served here (POST /v1/data/clinimg/decision)")
        decision_id = str(uuid.uuid4())
        out: dict[str, Any] = {"decision_id": decision_id}
        if provenance:
            out["provenance"] = self.provenance()
        body_document = self.parse_json(body) if body.strip() else {}
        if not isinstance(body_document, dict):
            raise Problem(400, "invalid_parameter", "body must be a JSON object like {\"input\": …}", self._with_lines([([], {"path": "$", "constraint": "must be a JSON object"})], body or None, []))
        unknown = sorted(k for k in body_document if k != "input")
        if unknown:
            raise Problem(400, "invalid_parameter", "body may only hold \"input\"", self._with_lines([([k], {"path": json_path([k]), "constraint": "unexpected key"}) for k in unknown], body, []))
        if "input" not in body_document:
            # OPA answers a query without input with a warning; here there is no decision at all.
            out["warning"] = {"code": "api_usage_warning", "message": "'input' key missing from the request"}
            if config is None:
                return 200, out
        if undefined:
            return 200, out  # nothing defines it, whatever the input
        if config is not None:
            # The overlay in force is data, not a decision: OPA answers it (and paths within it)
            # from the bundle's data whatever the input — as it is here, with each waiver's
            # expires_ns (checker/policy.py).
            found, value = _within(self.policy.data.get("clinimg", {}).get("config", {}), config)
            if found:
                out["result"] = value
            return 200, out
        request = body_document["input"]
        problems = self.request_problems(request, "$.input", reviews=True, body=body, at=["input"])
        if problems:
            raise Problem(400, "invalid_parameter", "input is not a valid disclosure request (schemas/request.schema.json)", problems)
        if document is not None:
            # A document of the policy other than the decision (a rule package, an area, lib):
            # what OPA serves there, for a platform team looking into one rule; not cached.
            evaluated, rest = document
            answer = self.pool.document(request, evaluated)
            self.log.write(decision_id=decision_id, path="/v1/data/" + "/".join(segments), outcome="document" if not isinstance(answer, EngineFailure) else "error",
                           request=request, rules=[], digest=self.stamp["digest"], **({"reason": "engine error"} if isinstance(answer, EngineFailure) else {}))
            if isinstance(answer, EngineFailure):
                raise Problem(500, "internal_error", "the engine could not evaluate this document: no answer (fail closed)")
            found, value = answer
            if found:
                found, value = _within(value, rest)
            if found:
                out["result"] = value
            return 200, out
        [result] = self.pool.decide([request])
        self._log(decision_id, "/v1/data/" + DECISION_PATH, request, result)
        if isinstance(result, EngineFailure):
            raise Problem(500, "internal_error", "the engine could not decide: no decision (fail closed)")
        found, value = _within(result, within)
        if found:
            out["result"] = value
        return 200, out

    def batch(self, path: str, body: bytes, *, provenance: bool = False) -> tuple[int, dict[str, Any]]:
        """POST /v1/batch/data/{path} (the OPA Batch API shape) → (status, body)."""
        if path.strip("/") != DECISION_PATH:
            raise Problem(404, "resource_not_found", "only data.clinimg.decision is served here (POST /v1/batch/data/clinimg/decision)")
        document = self.parse_json(body) if body.strip() else {}
        if not isinstance(document, dict):
            raise Problem(400, "invalid_parameter", "body must be a JSON object like {\"inputs\": {…}}", self._with_lines([([], {"path": "$", "constraint": "must be a JSON object"})], body or None, []))
        unknown = sorted(k for k in document if k not in ("inputs", "common_input"))
        if unknown or "common_input" in document:
            raise Problem(400, "invalid_parameter", "body may only hold \"inputs\"", self._with_lines([([k], {"path": json_path([k]), "constraint": "not supported"}) for k in unknown + (["common_input"] if "common_input" in document else [])], body, []))
        out: dict[str, Any] = {"batch_decision_id": str(uuid.uuid4()), "responses": {}}
        if "inputs" not in document:
            out["warning"] = {"code": "api_usage_warning", "message": "'inputs' key missing from the request"}
            return 200, out
        inputs = document["inputs"]
        if not isinstance(inputs, dict):
            raise Problem(400, "invalid_parameter", "inputs must be an object of id → input", self._with_lines([(["inputs"], {"path": "$.inputs", "constraint": "must be a JSON object"})], body, []))
        if len(inputs) > MAX_BATCH_INPUTS:
            raise Problem(400, "invalid_parameter", f"at most {MAX_BATCH_INPUTS} inputs a batch", self._with_lines([(["inputs"], {"path": "$.inputs", "constraint": f"at most {MAX_BATCH_INPUTS} members"})], body, []))
        responses: dict[str, dict[str, Any]] = {}
        todo: list[tuple[str, str, dict[str, Any]]] = []
        for key, request in inputs.items():
            decision_id = str(uuid.uuid4())
            problems = self.request_problems(request, "$.inputs" + json_path([key])[1:], reviews=True, body=body, at=["inputs", key])
            if problems:
                responses[key] = {"decision_id": decision_id, "code": "invalid_parameter", "message": "input is not a valid disclosure request", "problems": problems}
            else:
                todo.append((key, decision_id, request))
        results = self.pool.decide_parallel([r for _, _, r in todo]) if todo else []
        for (key, decision_id, request), result in zip(todo, results):
            self._log(decision_id, "/v1/batch/data/" + DECISION_PATH, request, result)
            if isinstance(result, EngineFailure):
                responses[key] = {"decision_id": decision_id, "code": "internal_error", "message": "the engine could not decide: no decision (fail closed)"}
            else:
                responses[key] = {"decision_id": decision_id, "result": result}
                if provenance:
                    responses[key]["provenance"] = self.provenance()
        failed = sum(1 for r in responses.values() if "result" not in r)
        decided = len(responses) - failed
        if failed and decided:
            for r in responses.values():
                r["http_status_code"] = "200" if "result" in r else ("400" if r.get("code") == "invalid_parameter" else "500")
        out["responses"] = {k: responses[k] for k in inputs}
        if failed and not decided:
            only_invalid = all(r.get("code") == "invalid_parameter" for r in responses.values())
            return (400 if only_invalid else 500), out
        return (207 if failed else 200), out


    _STATEMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:=\s*data\.clinimg\.decision(?![\w.\[])")
    _WITH_INPUT = re.compile(r"\s+with\s+input\s+as\s+")
    _SEPARATOR = re.compile(r"\s*(?:;|\n)\s*")

    def parse_query(self, text: str, body_input: Any) -> list[tuple[str, Any]]:
        """The one shape of ad-hoc query served: `x := data.clinimg.decision [with input as <JSON>]`,
        statements joined by `;` — what opa-python-client's bulk_query_rule sends."""
        shape = "only queries like `r0 := data.clinimg.decision with input as {…}; r1 := …` are served"
        if nesting_depth_exceeds(text) is not None:
            raise Problem(400, "invalid_parameter", "query nested too deeply")
        statements: list[tuple[str, Any]] = []
        pos = 0
        while True:
            m = self._STATEMENT.match(text, pos)
            if not m:
                raise Problem(400, "invalid_parameter", shape)
            var, pos = m.group(1), m.end()
            w = self._WITH_INPUT.match(text, pos)
            if w:
                try:
                    value, pos = STRICT_DECODER.raw_decode(text, w.end())
                except (JSONProblem, ValueError):
                    raise Problem(400, "invalid_parameter", f"{shape}; the input of {var} is not acceptable JSON") from None
                unusable = unusable_text(value)
                if unusable is not None:
                    where, why = unusable
                    raise Problem(400, "invalid_parameter", f"the input of {var} is not acceptable JSON",
                                  [{"path": f"$.query.{var}" + json_path(where)[1:], "constraint": why}])
            elif body_input is _MISSING:
                value = _MISSING
            else:
                value = body_input
            if any(v == var for v, _ in statements):
                raise Problem(400, "invalid_parameter", f"variable {var} is assigned twice")
            statements.append((var, value))
            if len(statements) > MAX_BATCH_INPUTS:
                raise Problem(400, "invalid_parameter", f"at most {MAX_BATCH_INPUTS} statements a query")
            if not text[pos:].strip():
                return statements
            sep = self._SEPARATOR.match(text, pos)
            if not sep or sep.end() == pos:
                raise Problem(400, "invalid_parameter", shape)
            pos = sep.end()

    def query(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST /v1/query (OPA's Query API), for the one query shape above → (status, body)."""
        document = self.parse_json(body)
        if not isinstance(document, dict) or not isinstance(document.get("query"), str):
            raise Problem(400, "invalid_parameter", "body must be a JSON object with a \"query\" string", self._with_lines([(["query"], {"path": "$.query", "constraint": "required string"})], body, []))
        unknown = sorted(k for k in document if k not in ("query", "input"))
        if unknown:
            raise Problem(400, "invalid_parameter", "body may only hold \"query\" and \"input\"", self._with_lines([([k], {"path": json_path([k]), "constraint": "unexpected key"}) for k in unknown], body, []))
        statements = self.parse_query(document["query"], document.get("input", _MISSING))
        if any(value is _MISSING for _, value in statements):
            return 200, {}  # undefined: no input, no decision
        problems: list[dict[str, str]] = []
        for var, value in statements:
            problems += self.request_problems(value, f"$.query.{var}", reviews=True)
        if problems:
            raise Problem(400, "invalid_parameter", "an input is not a valid disclosure request (schemas/request.schema.json)", problems)
        results = self.pool.decide_parallel([value for _, value in statements])
        row: dict[str, Any] = {}
        for (var, value), result in zip(statements, results):
            self._log(str(uuid.uuid4()), "/v1/query", value, result)
            if isinstance(result, EngineFailure):
                raise Problem(500, "internal_error", "the engine could not decide an input: no decision (fail closed)")
            row[var] = result
        return 200, {"result": [row]}


# ---------------------------------------------------------------------------------------------
# HTTP (Starlette)


def _within(value: Any, segments: list[str]) -> tuple[bool, Any]:
    """(defined?, value) of a Data API path's rest inside a document, as OPA reads it: an object
    member by name, an array element by its decimal index."""
    for segment in segments:
        if isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(value, list) and segment.isdigit() and segment.isascii() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return False, None
    return True, value


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """A gzip-compressed body (Content-Encoding: gzip, as OPA's server accepts), decompressed to
    at most `limit` bytes: past it a 413, as an uncompressed body that large — a small gzip
    bomb never unfolds beyond the limit in memory. Several gzip members are read one after the
    other (as Go's gzip reader, OPA's, does); a truncated or corrupt stream is a 400."""
    import zlib

    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while True:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            piece = inflater.decompress(rest, limit + 1 - size)
            while True:
                size += len(piece)
                if size > limit:
                    raise Problem(413, "request_too_large", f"the body is larger than {limit} bytes once decompressed")
                out.append(piece)
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                piece = inflater.decompress(inflater.unconsumed_tail, limit + 1 - size)
            if not inflater.eof:
                raise Problem(400, "invalid_parameter", "the body is not complete gzip data (Content-Encoding: gzip)")
            rest = inflater.unused_data
            if not rest:
                return b"".join(out)
    except zlib.error:
        raise Problem(400, "invalid_parameter", "the body is not valid gzip data (Content-Encoding: gzip)") from None


def create_app(service: DecisionService, *, close_on_shutdown: bool = True) -> Any:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    limit = service.options.max_body_bytes
    body_timeout = service.options.body_timeout

    def answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        return Response(_dumps(body), status_code=status, media_type="application/json", headers=headers)

    async def read_body(request: Request) -> bytes:
        codings = [c.strip().lower() for c in request.headers.get("content-encoding", "").split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if codings not in ([], ["gzip"], ["x-gzip"]):
            raise Problem(415, "invalid_parameter", "Content-Encoding is not supported: send the body uncompressed or gzip-compressed")
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise Problem(413, "request_too_large", f"the body is larger than {limit} bytes")
            except ValueError:
                raise Problem(400, "invalid_parameter", "Content-Length is not a number") from None
        chunks: list[bytes] = []
        size = 0
        # The whole body must arrive within body_timeout: a client trickling it byte by byte
        # would otherwise hold a connection (and its buffers) for as long as it likes.
        try:
            async with asyncio.timeout(body_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise Problem(413, "request_too_large", f"the body is larger than {limit} bytes")
                    chunks.append(chunk)
        except TimeoutError:
            raise Problem(408, "request_timeout", f"the body did not arrive within {body_timeout:g} s") from None
        return gunzip_bounded(b"".join(chunks), limit) if codings else b"".join(chunks)

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                if not service.authorized(request.headers.get("authorization")):
                    raise Problem(401, "unauthorized", "missing or wrong bearer token")
                return await handler(request)
            except Problem as p:
                headers = {"WWW-Authenticate": 'Bearer realm="clinimg"'} if p.status == 401 else None
                if p.status == 503:
                    headers = {"Retry-After": "1"}
                if p.status in (408, 413):  # the rest of the body is not read: the connection ends
                    headers = {"Connection": "close"}
                return answer(p.status, p.body(), headers)
            except Exception:  # a bug: a 500 without details, never a decision
                return answer(500, {"code": "internal_error", "message": "internal error; no decision (fail closed)"})

        return endpoint

    def flag(request: Request, name: str) -> bool:
        return any(v.lower() == "true" or v == "" for v in request.query_params.getlist(name))

    async def check(request: Request) -> Response:
        body = await read_body(request)
        status, out, decision_id = await run_in_threadpool(service.check, body)
        return answer(status, out, {"X-Decision-Id": decision_id} if decision_id else None)

    async def data(request: Request) -> Response:
        body = await read_body(request)
        status, out = await run_in_threadpool(service.data, request.path_params["path"], body, provenance=flag(request, "provenance"))
        return answer(status, out)

    async def batch(request: Request) -> Response:
        body = await read_body(request)
        status, out = await run_in_threadpool(service.batch, request.path_params["path"], body, provenance=flag(request, "provenance"))
        return answer(status, out)

    async def query(request: Request) -> Response:
        body = await read_body(request)
        status, out = await run_in_threadpool(service.query, body)
        return answer(status, out)

    async def health(request: Request) -> Response:
        return answer(200, await run_in_threadpool(service.health))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if status == 405:
            return answer(405, {"code": "method_not_allowed", "message": "method not allowed here"}, getattr(exc, "headers", None))
        return answer(404, {"code": "resource_not_found", "message": "no such endpoint (POST /v1/check, POST /v1/data/clinimg/decision, POST /v1/batch/data/clinimg/decision, "
                                                                     "POST /v1/query, GET /health, GET /metrics, GET /openapi.json, GET /v1/policies, GET /cds-services, GET /)"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_on_shutdown:
                service.close()

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/check", guarded(check), methods=["POST"]),
        Route("/v1/data/{path:path}", guarded(data), methods=["POST"]),
        Route("/v1/batch/data/{path:path}", guarded(batch), methods=["POST"]),
        Route("/v1/query", guarded(query), methods=["POST"]),
    ]
    routes += web.routes(service.policy.data["clinimg"]["config"])  # the clinician's page: GET /, /static/…
    # Platform (metrics, OpenAPI, OPA's policy list) and CDS Hooks: their own modules.
    from .cds import cds_routes
    from .platform import platform_routes

    routes += platform_routes(service, guarded=guarded, answer=answer) + cds_routes(service, guarded=guarded, answer=answer, read_body=read_body)
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found}, lifespan=lifespan)
    return service.metrics.middleware(app)


# ---------------------------------------------------------------------------------------------
# Running


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP proto: asyncio then sets TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CheckerError(f"cannot listen on {host}:{port} ({exc.strerror or type(exc).__name__})") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(app: Any, *, access_log: bool = False, header_timeout: float = DEFAULT_BODY_TIMEOUT) -> Any:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="on", timeout_graceful_shutdown=5, server_header=False,
                            http=_header_deadline_protocol(header_timeout))
    return uvicorn.Server(config)


def _header_deadline_protocol(seconds: float) -> Any:
    """uvicorn's httptools protocol, closing a connection whose request headers have not all
    arrived within `seconds` of its start (or of the last response): the body has its own
    deadline (read_body), and without this a client trickling headers held a connection for as
    long as it liked. Without httptools, uvicorn's default (and no header deadline)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
        return "auto"

    class HeaderDeadlineProtocol(HttpToolsProtocol):  # type: ignore[misc]
        _deadline: Any = None

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _headers_too_slow(self) -> None:
            self._deadline = None
            busy = (self.cycle is not None and not self.cycle.response_complete) or self.pipeline
            if not busy and not self.transport.is_closing():  # a request being answered is never cut
                self.transport.close()

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineProtocol


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def serve(service: DecisionService, host: str, port: int, *, access_log: bool = False, announce: Callable[[str], None] | None = None) -> None:
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    server = make_server(create_app(service), access_log=access_log, header_timeout=service.options.body_timeout)
    if announce:
        shown = f"[{host}]" if ":" in host else host
        announce(f"clinimg serve: listening on http://{shown}:{actual} (policy {service.stamp['digest']}, {service.pool.size} engine worker(s), pid {os.getpid()})")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        service.close()
    sys.stdout.flush()
