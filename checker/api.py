"""The library face: check(), validate(), rules(). The CLI and the server never reach past here."""
from __future__ import annotations

import codecs
import dataclasses
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
from typing import IO, TYPE_CHECKING, Any, Callable, ContextManager, Iterable, Iterator

from . import schemas
from .engines.base import EngineFailure
from .engines.factory import ENGINES, LOCAL_ENGINES, OpaSettings, audit_engine, make_engine  # noqa: F401 - ENGINES, OpaSettings: the CLI reads them here
from .errors import CheckerError, EngineError, ExitCode
from .jsonload import MAX_DOCUMENT_BYTES, MAX_REQUEST_VALUES, JSONProblem, compressed_as, holds_more_values, json_path, line_of_byte, lines_of_paths, loads, utf16_hint, with_line_feeds
from .outputs import atomic_output, files_under, refuse_clobbering, write_atomically
from .overlay import load_overlay
from .policy import PolicySet, RuleMeta, catalogue, load_modules
from .policylint import obligation_only_ids, rule_ids

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditReport

# A request larger than this is refused before it is parsed (`check --max-request-bytes`; the
# same default as `serve --max-body-bytes`): real requests are a few KB, and parsing and
# schema-checking 15 MB took 10 s and 2 GB.
MAX_REQUEST_BYTES = 1024 * 1024


def build_policy(policy_config: str | pathlib.Path | None = None, policy_dirs: Iterable[str | pathlib.Path] = ()) -> PolicySet:
    """The policy in force: shipped + own Rego, and the overlay, whose rule ids must be its rules'."""
    modules = load_modules(list(policy_dirs))  # as given: messages name files under the user's spelling
    config = load_overlay(policy_config, rule_ids=rule_ids(modules), obligation_ids=obligation_only_ids(modules)) if policy_config is not None else {}
    return PolicySet.from_modules(modules, config)


# ---------------------------------------------------------------------------------------------
# Reading documents


def refuse_empty_names(what: str, names: Iterable[str | pathlib.Path], *, stdin: bool = True) -> None:
    """`clinimg audit "$LOG"` with LOG unset: an empty name was the current directory (".: is a
    directory"), a request or log nobody could find. Said as what it is."""
    if any(not str(name).strip() for name in names):
        raise CheckerError(f"{what}: a file name is empty (an unset variable?); give the file" + (", or - for standard input" if stdin else ""))


def read_text(source: str | pathlib.Path, max_bytes: int | None = None, *, display: str | None = None) -> tuple[str, str]:
    """(display name, text) of a file or '-' for stdin; with max_bytes, a larger input is refused
    before it is parsed (and no more than max_bytes + 1 bytes of it are read). display: what to
    call the file (a spool of stdin is "<stdin>")."""
    limit = -1 if max_bytes is None else max_bytes + 1
    refuse_empty_names("REQUEST", [source])
    if str(source) == "-":
        data = sys.stdin.buffer.read(limit)
        name = "<stdin>"
    else:
        p = pathlib.Path(source)
        name = display or str(p)
        try:
            if p.is_dir():
                raise CheckerError(f"{name}: is a directory, not a JSON file")
            with open(p, "rb") as fh:
                data = fh.read(limit)
        except CheckerError:
            raise
        except OSError as exc:
            raise CheckerError(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise CheckerError(f"{name}: larger than {max_bytes:,} bytes; refused before parsing (--max-request-bytes)")
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # (the line too: a person opens the file at a line, not at a byte offset)
        line = line_of_byte(data, exc.start)
        why = f"not UTF-8 text (byte {exc.start}){utf16_hint(data)}"
        raise CheckerError(f"{name}:{line}: $: {why}", problems=[{"path": "$", "constraint": why, "line": line}]) from None


def parse_document(name: str, text: str, schema: str = "request") -> dict[str, Any]:
    """Parse and schema-check one JSON document; CheckerError listing every problem."""
    text = with_line_feeds(text)  # (a lone \r ends a line, as in a log and an editor)
    if not text.strip("\ufeff \t\r\n"):  # (a truncated copy, an empty pipe: not "Expecting value")
        why = "empty: no JSON document (a request is one JSON object)"
        raise CheckerError(f"{name}:1: $: {why}", problems=[{"path": "$", "constraint": why, "line": 1}])
    try:
        document = loads(text)
    except JSONProblem as exc:
        reason = exc.reason + (_LOG_HINT if exc.reason.startswith("not valid JSON: Extra data") and _first_line_is_object(text) else "")
        raise CheckerError(f"{name}:{exc.line}: {exc.path}: {reason}", problems=[{"path": exc.path, "constraint": reason, "line": exc.line}]) from None
    if holds_more_values(document):
        raise CheckerError(f"{name}:1: $: holds more than {MAX_REQUEST_VALUES:,} JSON values; refused (a request holds about a hundred)",
                           problems=[{"path": "$", "constraint": f"holds more than {MAX_REQUEST_VALUES:,} JSON values", "line": 1}])
    problems = schemas.problems(schema, document)
    if problems:
        lines = lines_of_paths(text, [p.path for p in problems])
        found = [f"{name}:{line}: {json_path(p.path)}: {p.constraint}" for p, line in zip(problems, lines)]
        if len(problems) >= schemas.MAX_PROBLEMS:
            found.append(f"{name}: (only the first {schemas.MAX_PROBLEMS} problems are listed)")
        raise CheckerError("\n".join(found), problems=[{"path": json_path(p.path), "constraint": p.constraint, "line": line} for p, line in zip(problems, lines)])
    return schemas.upper_case_times(document) if schema in ("request", "event") else document


_LOG_HINT = ": this is a log of events, one a line (JSON Lines): `clinimg audit` reads logs; a request is one JSON document"


def _first_line_is_object(text: str) -> bool:
    try:
        return isinstance(loads(re.split(r"\r\n|\n|\r", text.lstrip("\ufeff"), maxsplit=1)[0]), dict)
    except JSONProblem:
        return False


def parse_request(name: str, text: str) -> dict[str, Any]:
    """A request: clinimg's JSON, or a FHIR R4 Bundle holding one proposed capture or disclosure
    with the patient and their consents (checker/fhir; docs/fhir.md)."""
    if '"resourceType"' in text:
        try:
            document = loads(text)
        except JSONProblem:
            document = None
        if isinstance(document, dict) and "resourceType" in document:
            from .fhir import request_from_fhir

            request = request_from_fhir(name, document, text)
            problems = schemas.problems("request", request)
            if problems:
                raise CheckerError("\n".join(f"{name}: the request the FHIR resources map to: {json_path(p.path)}: {p.constraint}" for p in problems),
                                   problems=[{"path": json_path(p.path), "constraint": p.constraint, "line": 1} for p in problems])
            return request
    return parse_document(name, text, "request")


# ---------------------------------------------------------------------------------------------
# check


@dataclasses.dataclass
class CheckResult:
    decision: dict[str, Any]

    @property
    def exit_code(self) -> ExitCode:
        return {"permit": ExitCode.OK, "deny": ExitCode.DENY, "escalate": ExitCode.ESCALATE}[self.decision["outcome"]]


def decide_one(policy: PolicySet, request: dict[str, Any], engine: str = "embedded", opa: OpaSettings | None = None) -> dict[str, Any]:
    eng = make_engine(policy, engine, opa)
    try:
        [result] = eng.decide([request])
        # A server's decision is stamped by the server's bundle revision (engines/opa.py).
        stamp = eng.stamp() or policy.stamp()
    finally:
        eng.close()
    if isinstance(result, EngineFailure):
        raise EngineError(f"engine error, no decision (fail closed): {result.reason}")
    return {**result, "policy": stamp}


def check(
    request: str | pathlib.Path,
    *,
    policy_config: str | pathlib.Path | None = None,
    policy_dirs: Iterable[str | pathlib.Path] = (),
    engine: str = "embedded",
    opa: OpaSettings | None = None,
    image_file: str | pathlib.Path | None = None,
    max_bytes: int | None = MAX_REQUEST_BYTES,
) -> CheckResult:
    """Decide one proposed capture or disclosure (SPEC §6 `clinimg check`).

    With `image_file`, or an `image.file` in the request (relative to the request's directory),
    `image.metadata_present` is read from the file itself first (see attach_image_facts). A
    request over `max_bytes` is refused before it is parsed."""
    name, text = read_text(request, max_bytes)
    document = parse_request(name, text)
    base_dir = None if str(request) == "-" else pathlib.Path(request).parent
    try:
        document = attach_image_facts(document, image_file=image_file, base_dir=base_dir)
    except CheckerError as exc:
        if image_file or not str(exc).startswith("$.image.file"):
            raise
        # The file the request names: which request, and its line (never the path it gave).
        [line] = lines_of_paths(text, [["image", "file"]])
        raise CheckerError(f"{name}:{line}: {exc}", problems=[{"path": "$.image.file", "constraint": str(exc).removeprefix("$.image.file: "), "line": line}]) from None
    policy = build_policy(policy_config, policy_dirs)
    return CheckResult(decide_one(policy, document, engine, opa))


# ---------------------------------------------------------------------------------------------
# validate


@dataclasses.dataclass
class ValidationReport:
    checked: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    # (the rule and obligation ids an overlay is checked against, read once for all the files)
    known_ids: set[str] | None = None
    obligations: set[str] = dataclasses.field(default_factory=set)


def _reads_as_lines(name: str) -> bool:
    """A regular file whose first line is a whole JSON object and which holds more after it is a
    JSON Lines log whatever its name (`tonight.log`, `events.json`), as the audit reads it; a
    request — pretty-printed, or one line — is not. (Standard input is spooled to a file first.)"""
    if not os.path.isfile(name):
        return False
    from .audit.reader import physical_lines

    try:
        with open(name, "rb") as handle:
            lines = physical_lines(handle)  # (line ends as the audit reads them: \n, \r\n or a lone \r)
            first = next(lines, (b"", 0))[0].removeprefix(codecs.BOM_UTF8)
            more = any(raw.strip() for raw, _ in lines)
    except OSError:
        return False
    if not more or not first.strip().startswith(b"{"):
        return False
    try:
        return isinstance(loads(first.decode("utf-8")), dict)
    except (JSONProblem, UnicodeDecodeError):
        return False


def validate(paths: Iterable[str | pathlib.Path], policy_dirs: Iterable[str | pathlib.Path] = ()) -> ValidationReport:
    """Schema-check JSON requests/events, JSON Lines logs and YAML overlays; every error listed.
    An overlay's rule ids are checked against the shipped rules plus those of policy_dirs."""
    paths = list(paths)
    refuse_empty_names("FILES", paths)
    report = ValidationReport()
    spools: list[Any] = []
    try:
        for source in paths:
            if str(source) == "-":
                # A log piped in (`zcat week.jsonl.gz | clinimg validate -`) is told from a
                # request by its content, as a file is: it was read as one JSON document ("Extra
                # data" at line 2). Spooled, since it is read twice.
                spool = tempfile.NamedTemporaryFile(prefix="clinimg-stdin-")
                spools.append(spool)
                shutil.copyfileobj(sys.stdin.buffer, spool)
                spool.flush()
                _validate_one(report, spool.name, "<stdin>", policy_dirs)
            else:
                _validate_one(report, source, str(source), policy_dirs)
    finally:
        for spool in spools:
            spool.close()
    return report


def _validate_one(report: ValidationReport, source: str | pathlib.Path, name: str, policy_dirs: Iterable[str | pathlib.Path]) -> None:
    """Check one file (called `name` in messages: a spool of stdin is "<stdin>") into the report."""
    if name.endswith(".rego"):  # (read as JSON it was "not valid JSON: Expecting value")
        report.checked += 1
        report.errors.append(f"{name}: a Rego file, not a document validate checks: `clinimg policy check --policy-dir DIR` compiles and checks own rules")
        return
    if name.endswith((".yaml", ".yml")) and pathlib.Path(source).parent.name == "cases":
        # An own rule's data cases (DIR/cases/*.yaml): read as policy test reads them — not as an
        # overlay ("$: must be of type object").
        from .cases import load_cases_file, read_bases

        report.checked += 1
        try:
            if pathlib.Path(source).stem == "bases":
                read_bases(pathlib.Path(source).parent)
            else:
                load_cases_file(pathlib.Path(source), shown=name)
        except CheckerError as exc:
            report.errors.extend(str(exc).splitlines())
        return
    if name.endswith((".yaml", ".yml")):
        report.checked += 1
        _validate_one_overlay(report, source, name, policy_dirs)
        return
    from .fhir import looks_like_fhir, read_fhir

    if looks_like_fhir(str(source)):  # FHIR R4 (a Bundle, Bulk NDJSON): every resource that would not map
        read = read_fhir([str(source)])  # (stdin from its spool, named "<stdin>": it was checked as a request)
        report.checked += sum(row["read"] for row in read.by_type.values())
        report.errors.extend(f"{name if u.file == str(source) else u.file}:{u.line}: {u.resource}: {u.path}: {u.reason}" for u in read.unmapped)
        return
    if name.endswith((".jsonl", ".ndjson")) or _reads_as_lines(str(source)):
        try:
            with open(source, "rb") as handle:
                packed = compressed_as(handle.read(8))
        except OSError:
            packed = None  # (_log_lines names why it cannot be read)
        if packed:  # as the audit says it: one error, not a line of garbage per line
            report.errors.append(f"{name}: the event log is {packed}, not JSON Lines: decompress it first")
            return
        checked = report.checked
        try:
            for number, line in _log_lines(source):
                report.checked += 1
                if not line.strip():  # as the audit counts it: a line to account for, not an event
                    report.errors.append(f"{name}:{number}: $: empty line (no event)")
                    continue
                report.errors.extend(_line_problems(name, number, line))
        except CheckerError as exc:
            report.errors.append(str(exc).replace(str(source), name, 1))
            return
        if report.checked == checked:  # (the audit refuses it too: an empty log is not a clean night)
            report.errors.append(f"{name}: empty: no event (a log holds one JSON object a line)")
        return
    try:
        shown, text = read_text(source, MAX_REQUEST_BYTES, display=name)
    except CheckerError as exc:  # (validate has no --max-request-bytes: check's option decides larger ones)
        report.errors.append(str(exc).replace("(--max-request-bytes)", "(a request; `check --max-request-bytes` takes larger ones)"))
        return
    report.checked += 1
    kind = _json_kind(text)
    if kind == "overlay":  # an overlay written as JSON (YAML reads it): was checked as a request
        _validate_one_overlay(report, source, name, policy_dirs)
        return
    try:
        parse_document(shown, text, kind)
    except CheckerError as exc:
        report.errors.extend(str(exc).splitlines())


def _validate_one_overlay(report: ValidationReport, source: str | pathlib.Path, name: str, policy_dirs: Iterable[str | pathlib.Path]) -> None:
    try:
        if report.known_ids is None:
            modules = load_modules(list(policy_dirs))
            report.known_ids, report.obligations = rule_ids(modules), obligation_only_ids(modules)
        load_overlay(source, rule_ids=report.known_ids, obligation_ids=report.obligations)
    except CheckerError as exc:  # (a spool of stdin is named as "<stdin>", never by its temporary path)
        report.errors.extend(line.replace(str(source), name, 1) if line.startswith(str(source)) else line for line in str(exc).splitlines())


def _json_kind(text: str) -> str:
    """Which schema a JSON document (not a log) is checked against, told by its content as a log
    is: a decision (`check --format json`'s output: `outcome`, no event envelope), a hospital
    overlay written as JSON (only overlay keys), else a request (whose errors then say what an
    event lacks). A decision or overlay had been checked as a request: "$.actor: is required"."""
    overlay_keys = set(schemas.validator("overlay").schema.get("properties", {}))
    try:
        document = loads(text)
    except JSONProblem:
        # A YAML overlay piped in (`validate -`) or named otherwise: its first key is an
        # overlay's (the overlay reader, with its guards, reads it); else parse_document says why.
        first = next((ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "---"))), "")
        key = re.match(r"([A-Za-z_]+)\s*:", first)
        return "overlay" if key and key.group(1) in overlay_keys else "request"
    if not isinstance(document, dict) or not document or {"type", "event_id", "schema_version"} & document.keys():
        return "request"
    if "outcome" in document:
        return "decision"
    return "overlay" if document.keys() <= overlay_keys else "request"


def _log_lines(source: str | pathlib.Path) -> Iterator[tuple[int, bytes]]:
    """(number, raw line) of a JSON Lines file, streamed (a log can be any size), split and
    stripped as the audit reads it: a BOM at the start of the file (or of a line) is not part of it."""
    from .audit.reader import physical_lines

    try:
        handle = sys.stdin.buffer if str(source) == "-" else open(source, "rb")
    except OSError as exc:
        raise CheckerError(f"{source}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        # (the audit's own line splitting: \n, \r\n or a lone \r; an overlong line's rest skipped)
        for number, (raw, _) in enumerate(physical_lines(handle), start=1):
            if raw.startswith(codecs.BOM_UTF8):  # (any line's: see audit/reader.py EventParser.parse)
                raw = raw[3:]
            yield number, raw.rstrip(b"\n").removesuffix(b"\r")
    except OSError as exc:
        raise CheckerError(f"{source}: cannot read ({exc.strerror or type(exc).__name__})") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _line_problems(name: str, number: int, raw: bytes) -> Iterator[str]:
    from .audit.reader import MAX_LINE_BYTES, document_hint, not_an_object_reason

    if len(raw) > MAX_LINE_BYTES:
        yield f"{name}:{number}: $: line longer than 1 MiB"
        return
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield f"{name}:{number}: $: not UTF-8 (byte {exc.start}){utf16_hint(raw) if number == 1 else ''}"
        return
    try:
        document = loads(line)
    except JSONProblem as exc:
        yield f"{name}:{number}: {exc.path}: {exc.reason}{document_hint(raw, number)}"
        return
    if not isinstance(document, dict):  # (as the audit says it)
        yield f"{name}:{number}: {not_an_object_reason(document)}"
        return
    for p in schemas.problems("event", document):
        yield f"{name}:{number}: {json_path(p.path)}: {p.constraint}"


# ---------------------------------------------------------------------------------------------
# FHIR export


def fhir_export(paths: Iterable[str | pathlib.Path]) -> dict[str, Any]:
    """Events of JSON Lines logs as one FHIR R4 `collection` Bundle (checker/fhir/outbound.py;
    docs/fhir.md). Every line must be a valid event: an invalid one is an error naming file,
    line and JSON path, and nothing is written (an export that silently drops events is a loss)."""
    from .fhir import looks_like_fhir
    from .fhir.outbound import events_bundle

    paths = list(paths)
    refuse_empty_names("LOGS", paths)
    docs: list[dict[str, Any]] = []
    errors: list[str] = []
    bad_lines = 0
    for source in paths:
        name = "<stdin>" if str(source) == "-" else str(source)
        if name != "<stdin>" and looks_like_fhir(name):
            # Read as JSON Lines, a pretty-printed Bundle is one "not valid JSON" error a line.
            raise CheckerError(f"{name}: is already FHIR (a Bundle or Bulk Data NDJSON); `clinimg fhir export` reads clinimg event logs "
                               "(audit or check the FHIR file directly)")
        for number, line in _log_lines(source):
            if not line.strip():
                continue
            found = list(_line_problems(name, number, line))
            if found:
                errors.extend(found)
                bad_lines += 1
                continue
            docs.append(loads(line.decode("utf-8")))
    if errors:
        raise CheckerError("\n".join(errors[:100] + [f"{bad_lines} invalid line(s); nothing exported"]))
    if not docs:
        raise CheckerError(f"{', '.join(str(p) for p in paths)}: no event to export")
    return events_bundle(docs)


# A Bundle file is read whole (checker.jsonload's document limit); Bulk NDJSON has no such limit.
MAX_FHIR_BUNDLE_BYTES = MAX_DOCUMENT_BYTES


def fhir_bulk_files(bundle: dict[str, Any]) -> dict[str, bytes]:
    """A Bundle's resources as Bulk Data NDJSON: {"<Type>.ndjson": lines}."""
    files: dict[str, list[str]] = {}
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        files.setdefault(f"{resource['resourceType']}.ndjson", []).append(json.dumps(resource, sort_keys=True, ensure_ascii=False))
    return {name: ("\n".join(lines) + "\n").encode("utf-8") for name, lines in sorted(files.items())}


# ---------------------------------------------------------------------------------------------
# rules


def rules(policy_dirs: Iterable[str | pathlib.Path] = ()) -> list[RuleMeta]:
    return catalogue(load_modules(list(policy_dirs)))


def rules_in_force(policy_config: str | pathlib.Path, policy_dirs: Iterable[str | pathlib.Path] = ()) -> list[dict[str, Any]]:
    """The catalogue as a hospital's overlay leaves it (`clinimg rules --policy-config`): each
    rule's effect in force, with `default_effect` (its METADATA's) when the overlay overrides it,
    and `disabled: true` for a rule the overlay disables (listed, not dropped: what the hospital
    switched off is what its privacy officer wants to see)."""
    from .policy import catalogue_in_force

    return catalogue_in_force(build_policy(policy_config, policy_dirs))


def bundle(output: str | pathlib.Path, *, policy_config: str | pathlib.Path | None = None, policy_dirs: Iterable[str | pathlib.Path] = (), force: bool = False) -> tuple[int, str]:
    """Write the OPA bundle of the policy set (SPEC §6 `clinimg policy bundle`); (bytes, revision).
    Own Rego that does not compile is refused: a server must not start on a broken bundle. An
    output that is an input (the overlay, an own Rego file) or a symbolic link (unless `force`)
    is refused before anything is written."""
    from .bundle import write_bundle
    from .policytasks import compile_check

    policy_dirs = list(policy_dirs)
    if str(output) == "-":  # (a file named "-" was written, and "wrote -" said)
        raise CheckerError("--output: needs a file name for the bundle (.tar.gz), not '-'; nothing was written")
    refuse_clobbering([("--output", str(output))], _policy_inputs(policy_config, policy_dirs), force=force)
    policy = build_policy(policy_config, policy_dirs)
    problems = compile_check([str(d) for d in policy_dirs])
    if problems:
        raise CheckerError("\n".join(problems + ["no bundle written: the policies do not compile"]))
    return write_bundle(policy, output), policy.digest


def _policy_inputs(policy_config: str | pathlib.Path | None, policy_dirs: Iterable[str | pathlib.Path]) -> list[tuple[str, str | None]]:
    """The policy files a run reads, by role (for refuse_clobbering)."""
    from .policy import SHIPPED_POLICY_DIR

    found: list[tuple[str, str | None]] = [("--policy-config", str(policy_config) if policy_config else None)]
    # (the shipped policy is read too: an output over one of its files lost a rule for every run after)
    return (found + [("a file of --policy-dir", path) for path in files_under(policy_dirs)]
            + [("a file of the shipped policy", path) for path in files_under([SHIPPED_POLICY_DIR])])


def refuse_dash_for_a_file(options: Iterable[tuple[str, str | pathlib.Path | None]]) -> None:
    """`-` is standard output for --output, but these options need a file of their own (a store,
    a quarantine read back later, a log appended to): `-` made a file named "-" in the working
    directory, where nobody looked for it."""
    for option, path in options:
        if path is not None and str(path) == "-":
            raise CheckerError(f"{option}: needs a file name ('-', standard output, is for --output only); nothing was written")


def refuse_decision_log_over_inputs(decision_log: str | None, policy_config: str | pathlib.Path | None, policy_dirs: Iterable[str | pathlib.Path]) -> None:
    """`serve --decision-log` is appended to: refused when it is the overlay or an own Rego file
    (a symbolic link is fine: appending destroys nothing)."""
    refuse_dash_for_a_file([("--decision-log", decision_log)])
    refuse_clobbering([("--decision-log", decision_log)], _policy_inputs(policy_config, list(policy_dirs)), force=True)
    if decision_log is not None and not _holds_a_decision_log(decision_log):
        # An event log, a report, a request named by mistake: decision lines appended to an event
        # log became invalid lines of the next night's audit, and the log was no longer what was logged.
        raise CheckerError(f"--decision-log: {decision_log} holds something other than a decision log (its first line is not a "
                           "decision); refused, nothing was appended: give a new file or an earlier decision log")


def _holds_a_decision_log(path: str) -> bool:
    """Missing, empty, or its first line one a decision log writes (a JSON object with a decision_id)."""
    from .audit.reader import first_line

    try:
        with open(path, "rb") as handle:
            # (64 KiB of blank lines before an event log had been "empty", and decisions appended to it)
            first = first_line(handle)
    except OSError:
        return True  # missing: a new log; else the server says why it cannot open it
    if first is None:
        return True
    try:
        line = json.loads(first)
    except ValueError:
        return False
    return isinstance(line, dict) and "decision_id" in line


def write_output(path: str | pathlib.Path, text: str, option: str) -> None:
    """Write a report (or any output) whole or not at all: a temporary file renamed into place.
    Call refuse_clobbering first (api.audit does, for --output)."""
    write_atomically(path, text.encode("utf-8"), option)


def open_output(path: str | pathlib.Path, option: str) -> ContextManager[IO[bytes]]:
    """A binary file for `path`, put in place whole when the block ends without error, else
    removed (checker/outputs.atomic_output): for a caller that writes between steps of its own."""
    return atomic_output(path, option)


def error_document(exc: CheckerError) -> str:
    """A CheckerError as JSON for apps: the message (its first line), the exit code, and the
    structured problems (JSON path, broken constraint, line) — values never echoed."""
    message = str(exc).splitlines()[0] if str(exc) else "error"
    return json.dumps({"error": message, "exit_code": int(exc.exit_code), "problems": exc.problems}, sort_keys=True, ensure_ascii=False)


def dumps_decision(decision: dict[str, Any]) -> str:
    """Canonical JSON: the same decision is the same bytes."""
    return json.dumps(decision, sort_keys=True, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------------------------------------
# audit


def audit(
    paths: Iterable[str],
    *,
    as_of: str | None = None,
    state: str | pathlib.Path | None = None,
    policy_config: str | pathlib.Path | None = None,
    policy_dirs: Iterable[str | pathlib.Path] = (),
    quarantine: str | pathlib.Path | None = None,
    workers: int | None = None,
    cache: bool = True,
    progress: Callable[[int], None] | None = None,
    notice: Callable[[str], None] | None = None,
    engine: str = "embedded",
    opa: OpaSettings | None = None,
    report_output: str | pathlib.Path | None = None,
    force: bool = False,
    deliver: Callable[["AuditReport"], ContextManager[None]] | None = None,
) -> "AuditReport":
    """Decide every event of the logs and the open lifecycles (SPEC §5 `clinimg audit`).

    Before anything is opened for writing, the outputs — the state store, the quarantine file and
    `report_output` (where the caller will write the report: only checked here) — are refused if
    one is an input (a log, the overlay, an own Rego file) or another output, or a symbolic link
    (unless `force`).

    `progress(lines_read)` and `notice(text)` (e.g. why a parallel audit ran in one process) are
    the caller's to show; the library writes nothing to stderr. `deliver(report)`, a context manager, writes
    the report; the run is committed inside it, and rolled back if it raises (audit/run.py).

    FHIR R4 files among the paths (checker/fhir.looks_like_fhir) are mapped to events first."""
    paths = list(paths)
    policy_dirs = list(policy_dirs)
    refuse_empty_names("LOGS", paths)
    refuse_dash_for_a_file([("--state", state), ("--quarantine", quarantine)])
    refuse_clobbering(
        [("--state", None if state is None else str(state)), ("--quarantine", None if quarantine is None else str(quarantine)),
         ("--output", None if report_output is None else str(report_output))],
        [("an input log", p) for p in paths] + _policy_inputs(policy_config, policy_dirs),
        force=force,
    )
    policy = build_policy(policy_config, policy_dirs)
    from .fhir import looks_like_fhir

    fhir_paths = [p for p in paths if looks_like_fhir(p)]
    if not fhir_paths:
        return _run_audit(paths, policy, engine=engine, opa=opa, as_of=as_of, state=state, quarantine=quarantine,
                          progress=progress, notice=notice, workers=workers, cache=cache, deliver=deliver)
    # FHIR R4 (a Bundle, or Bulk Data NDJSON): mapped to clinimg events (checker/fhir), audited as
    # one more log, and the report amended to speak of the FHIR files and every unmapped resource.
    import tempfile

    from .fhir.logs import FhirLogs

    with tempfile.TemporaryDirectory(prefix="clinimg-fhir-") as scratch:
        fhir_logs = FhirLogs(fhir_paths, scratch, as_of=as_of)
        logs = [p for p in paths if p not in fhir_paths] + [fhir_logs.path]
        return _run_audit(logs, policy, engine=engine, opa=opa, as_of=as_of, state=state, quarantine=quarantine,
                          progress=progress, notice=notice, workers=workers, cache=cache, amend_report=fhir_logs.amend, deliver=deliver)


def _run_audit(paths: list[str], policy: PolicySet, *, engine: str, opa: OpaSettings | None, as_of: str | None,
               state: str | pathlib.Path | None, quarantine: str | pathlib.Path | None, progress: Callable[[int], None] | None,
               notice: Callable[[str], None] | None, workers: int | None, cache: bool, amend_report: Any = None,
               deliver: Callable[["AuditReport"], ContextManager[None]] | None = None) -> "AuditReport":
    from .audit import audit as run_audit

    if engine not in LOCAL_ENGINES:  # e.g. an OPA server: the report carries that engine's stamp
        return run_audit(
            list(paths),
            policy=policy,
            engine_factory=lambda p: make_engine(p, engine, opa),
            as_of=as_of,
            state_path=state,
            quarantine=quarantine,
            progress=progress or None,
            notice=notice,
            amend_report=amend_report,
            deliver=deliver,
        )  # stamped by the server's bundle revision (audit/run.py policy_stamp)
    return run_audit(
        paths,
        policy=policy,
        engine_factory=lambda p: audit_engine(p, cache, engine=engine),
        as_of=as_of,
        state_path=state,
        quarantine=quarantine,
        progress=progress or None,
        notice=notice,
        partitions=workers,
        partition_cache=cache,
        partition_engine=engine,
        amend_report=amend_report,
        deliver=deliver,
    )


@dataclasses.dataclass(frozen=True)
class InvalidLimit:
    """--max-invalid: at most `count` invalid lines, or at most `percent` % of the lines read."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> "InvalidLimit":
        text = text.strip()
        try:
            if text.endswith("%"):
                percent = float(text[:-1])
                if not 0 <= percent <= 100:
                    raise ValueError
                return cls(percent=percent)
            count = int(text)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except ValueError:
            raise CheckerError("--max-invalid: a number of lines (e.g. 10) or a percentage of the lines read (e.g. 0.5%)") from None

    def exceeded(self, invalid: int, read: int) -> bool:
        if self.count is not None:
            return invalid > self.count
        return invalid * 100 > (self.percent or 0) * read


def audit_verdict(report: "AuditReport", max_invalid: InvalidLimit | None = None) -> tuple[ExitCode, str | None]:
    """The exit status of an audit and, when it is not a night to trust, the one line why.

    Quiet must mean clean: a run that decided nothing (no line, or no valid line) is a usage
    error, so cron can tell a dead feed from a clean night; so is a run with more invalid lines
    than --max-invalid allows. Otherwise 1 for deny findings or events left undecided, else 0."""
    c = report.counts
    files = ", ".join(report.files)
    if c["read"] == 0:
        return ExitCode.USAGE, f"nothing audited: {files} held no event (an empty log is not a clean night)"
    if c["decided"] + c["duplicate"] == 0:
        return ExitCode.USAGE, f"nothing audited: none of the {c['read']} line(s) of {files} is a valid event (see the report's invalid lines)"
    if max_invalid is not None and max_invalid.exceeded(c["invalid"], c["read"]):
        limit = f"{max_invalid.count}" if max_invalid.count is not None else f"{max_invalid.percent:g}% of {c['read']}"
        return ExitCode.USAGE, f"too many invalid lines: {c['invalid']} of {c['read']} read (--max-invalid {limit})"
    if report.has_deny or report.engine_errors:
        return ExitCode.DENY, None
    return ExitCode.OK, None


def audit_runs(state: str | pathlib.Path) -> list[dict[str, Any]]:
    """The runs a state store kept the report of (`clinimg audit runs`)."""
    from .audit.store import list_runs

    _refuse_empty_state(state)
    return list_runs(state)


def audit_run_document(state: str | pathlib.Path, run_id: int | None = None) -> dict[str, Any]:
    """An earlier run's report data (None: the last run) for the reporters (`clinimg audit report`)."""
    from .audit.store import run_document

    _refuse_empty_state(state)
    return run_document(state, run_id)


def _refuse_empty_state(state: str | pathlib.Path) -> None:
    if not str(state).strip():  # (`--state "$STATE"`, STATE unset: was ": no such state store")
        raise CheckerError("--state: the file name is empty (an unset variable?); give the state store's file")


# ---------------------------------------------------------------------------------------------
# image files (inspect, deidentify, facts for decisions)


def attach_image_facts(document: dict[str, Any], *, image_file: str | pathlib.Path | None = None, base_dir: pathlib.Path | None = None) -> dict[str, Any]:
    """The request with `image.metadata_present` = what the image file really holds and
    `image.metadata_claimed` = what the request said. Reads a local file: a server should only
    call this for files it means to expose."""
    from .imagefiles import facts

    return facts.attach(document, image_file=str(image_file) if image_file else None, base_dir=base_dir)


def inspect_images(paths: Iterable[str | pathlib.Path], *, values: bool = False) -> list["Inspection | tuple[str, str]"]:
    """Per file, its identifying metadata, or (path, error line) when it cannot be read."""
    from .imagefiles import inspect

    paths = list(paths)
    refuse_empty_names("FILES", paths, stdin=False)
    results: list[Any] = []
    for path in paths:
        try:
            results.append(inspect(path, values=values))
        except CheckerError as exc:
            results.append((str(path), str(exc)))
    return results


def deidentify_image(source: str | pathlib.Path, output: str | pathlib.Path, *, force: bool = False) -> "Deidentified":
    """A copy of an image, video or audio file without identifying metadata (SPEC: de-identification)."""
    from .imagefiles import deidentify

    refuse_empty_names("SOURCE", [source], stdin=False)
    if str(output) == "-":
        # "-" is stdout by convention: a file named "-" beside the summary on stdout is never what was meant.
        raise CheckerError("--output: '-' (standard output) is not supported: the copy is inspected before it is put in place; give a file name")
    refuse_clobbering([("--output", str(output))], [("the input file", str(source))], force=force)
    return deidentify(source, output, force=force)


if TYPE_CHECKING:  # pragma: no cover
    from .imagefiles import Deidentified, Inspection
