"""FHIR R4 in: a Bundle (JSON) or Bulk Data NDJSON → clinimg events (SPEC §3), the table of docs/fhir.md.

Every resource is validated by its `fhir.resources` model (the R4B package: R4's Media, Consent,
AuditEvent and Provenance are unchanged in it) and mapped from the validated model. A resource
is either an event (or several: a Consent's nested provisions), context that events refer to
(Patient, Practitioner, PractitionerRole, RelatedPerson, Device, Organization, …), or *unmapped*:
listed with its file, line, resource, FHIR path and why — never dropped, never guessed. Messages
name elements and codes, never values (they may be patient data).
"""
from __future__ import annotations

import codecs
import dataclasses
import datetime
import json
import os
import re
import stat
from typing import Any, Callable, Iterable, Iterator

from .. import schemas
from ..errors import CheckerError
from ..audit.reader import physical_lines
from ..jsonload import MAX_DOCUMENT_BYTES, JSONProblem, json_path, line_of_byte, lines_of_paths, loads, with_line_feeds
from . import codes

CONTEXT_TYPES = ("Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Device", "Organization", "Location", "CareTeam",
                 "Encounter", "Binary", "Group")
EVENT_TYPES = ("Media", "DocumentReference", "AuditEvent", "Provenance", "Consent")
MAX_NDJSON_LINE = 16 * 1024 * 1024
# clinimg event types with no FHIR resource of their own: an AuditEvent with the code of
# codes.EVENT_TYPE_SYSTEM, every fact a field extension.
OTHER_AUDIT_KINDS = ("device_posture", "access_request", "breach_report", "patient_provided")


class NotMapped(Exception):
    """This resource cannot become an event: `path` is the FHIR element, `reason` why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Unmapped:
    file: str
    line: int
    resource: str  # "AuditEvent/example", or the type alone
    path: str  # FHIR path of the element at fault
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "resource": self.resource, "path": self.path, "reason": self.reason}

    def line_text(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.reason}"


@dataclasses.dataclass
class FhirEvent:
    file: str
    line: int
    resource: str
    doc: dict[str, Any]


# The event id suffix of a grant's lapse (`provision.period.end`): a withdrawal that happens only
# once that end is reached, so one dated after the moment decided is not yet in force.
LAPSE_SUFFIX = "#end"


def is_lapse(doc: dict[str, Any]) -> bool:
    """Whether an event is the lapse of a granted Consent's period (made by the mapping)."""
    consent = doc.get("consent")
    return (doc.get("type") == "consent" and isinstance(consent, dict) and consent.get("status") == "withdrawn"
            and str(doc.get("event_id", "")).endswith(LAPSE_SUFFIX))


@dataclasses.dataclass
class FhirRead:
    """What FHIR input gave: events, unmapped resources, and counts per resource type."""

    files: list[str]
    events: list[FhirEvent] = dataclasses.field(default_factory=list)
    unmapped: list[Unmapped] = dataclasses.field(default_factory=list)
    by_type: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)

    def count(self, rtype: str, what: str, n: int = 1) -> None:
        row = self.by_type.setdefault(rtype, {"read": 0, "events": 0, "context": 0, "unmapped": 0})
        row[what] += n

    def accounting(self) -> dict[str, Any]:
        """The report's `fhir` section: resources read per type — events made, context, unmapped —
        and each unmapped resource with file, line, FHIR path and reason."""
        return {
            "files": self.files,
            "resources": {k: self.by_type[k] for k in sorted(self.by_type)},
            "unmapped": [u.as_dict() for u in sorted(self.unmapped, key=lambda u: (u.file, u.line, u.path))],
        }


# ---------------------------------------------------------------------------------------------
# Reading files


def looks_like_fhir(path: str) -> bool:
    """A file holding FHIR resources (a Bundle or Bulk Data NDJSON) rather than clinimg events:
    its first JSON object has a `resourceType` (clinimg events never do). stdin and pipes are never
    sniffed (what is read from them is gone): only regular files are."""
    if path == "-":
        return False
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not head.startswith(b"{"):
        return False
    first_line = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    probe = first_line if first_line.rstrip().endswith(b"}") else head
    return re.search(rb'"resourceType"\s*:', probe) is not None


@dataclasses.dataclass
class RawResource:
    file: str
    line: int
    raw: dict[str, Any]
    full_url: str | None = None


def _read_file(path: str, problems: list[Unmapped]) -> Iterator[RawResource]:
    """The resources of one file, in file order. NDJSON is streamed line by line (an export can
    be any size); a Bundle (or one resource) is read whole, up to the strict reader's limit."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise CheckerError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    with handle:
        try:
            head = handle.read(1 << 20)
            if _is_ndjson(head):
                handle.seek(0)
                yield from _ndjson(path, handle, problems)
                return
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_DOCUMENT_BYTES + 3:
                problems.append(Unmapped(path, 1, "?", "$", f"document larger than {MAX_DOCUMENT_BYTES // 1048576} MiB "
                                                            "(a Bulk Data NDJSON export has no such limit)"))
                return
            data = (head + handle.read()).removeprefix(codecs.BOM_UTF8)
        except OSError as exc:
            raise CheckerError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        text = with_line_feeds(data.decode("utf-8"))  # (a lone \r ends a line: problems at their lines, as for a request)
    except UnicodeDecodeError as exc:
        problems.append(Unmapped(path, line_of_byte(data, exc.start), "?", "$", f"not UTF-8 (byte {exc.start})"))
        return
    try:
        doc = loads(text)
    except JSONProblem as exc:
        problems.append(Unmapped(path, exc.line, "?", exc.path, exc.reason))
        return
    yield from _resources(path, text, doc, [], 1, problems)


def _is_ndjson(head: bytes) -> bool:
    """One JSON object on the first line and more after it: NDJSON (a compact one-line document
    alone is read as a document, the same resources either way)."""
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    parts = re.split(rb"\r\n|\n|\r", head, maxsplit=1)  # (line ends as the audit reads them)
    first, rest = parts[0], parts[1] if len(parts) == 2 else b""
    if len(parts) < 2 or not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def _ndjson(path: str, handle: Any, problems: list[Unmapped]) -> Iterator[RawResource]:
    # A line ends at \n, \r\n or a lone \r, as in a clinimg log: an export written with \r alone
    # had been read as one document, and every resource in it lost.
    for number, (raw, _) in enumerate(physical_lines(handle, MAX_NDJSON_LINE + 2), start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if len(raw.rstrip(b"\r\n")) > MAX_NDJSON_LINE:  # (the rest of it was skipped, never held)
            problems.append(Unmapped(path, number, "?", "$", "line longer than 16 MiB"))
            continue
        if not raw.strip():  # counted like a blank line of a clinimg log: every line accounted for
            problems.append(Unmapped(path, number, "?", "$", "a blank line (Bulk Data NDJSON holds one resource a line)"))
            continue
        try:
            doc = loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.append(Unmapped(path, number, "?", "$", f"not UTF-8 (byte {exc.start})"))
            continue
        except JSONProblem as exc:
            problems.append(Unmapped(path, number, "?", exc.path, exc.reason))
            continue
        yield from _resources(path, None, doc, [], number, problems)


def _resources(path: str, text: str | None, doc: Any, at: list[Any], line: int, problems: list[Unmapped]) -> Iterator[RawResource]:
    """The resources of one document: itself, or a Bundle's entries (each with its own line)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        problems.append(Unmapped(path, line, "?", json_path(at) + ".resourceType", "not a FHIR resource (no resourceType)"))
        return
    if doc["resourceType"] != "Bundle":
        yield RawResource(path, line, doc)
        return
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        problems.append(Unmapped(path, line, "Bundle", "Bundle.entry", "must be a list"))
        return
    lines = lines_of_paths(text, [at + ["entry", i, "resource"] for i in range(len(entries))]) if text and "\n" in text else [line] * len(entries)
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            if isinstance(entry, dict) and "request" in entry and "resource" not in entry:
                problems.append(Unmapped(path, lines[i], "Bundle", f"Bundle.entry[{i}].resource", "an entry without a resource (a request only) holds no event"))
            else:
                problems.append(Unmapped(path, lines[i], "Bundle", f"Bundle.entry[{i}].resource", "missing: an entry must hold a resource"))
            continue
        if resource.get("resourceType") == "Bundle":
            yield from _resources(path, text, resource, at + ["entry", i, "resource"], lines[i], problems)
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        yield RawResource(path, lines[i], resource, full_url)


# ---------------------------------------------------------------------------------------------
# Validation (fhir.resources)


def _model_class(rtype: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(rtype)
    except (KeyError, ValueError, ImportError, AttributeError):
        return None


def _fhir_path(rtype: str, loc: Iterable[Any]) -> str:
    out = rtype
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += "." + str(part).removesuffix("__ext")
    return out


def validated(item: RawResource) -> tuple[Any, list[tuple[str, str]]]:
    """(model, []) or (None, [(FHIR path, why)…]). Pydantic's messages state the constraint; one
    that would quote the value is replaced by the error type."""
    from pydantic import ValidationError

    rtype = item.raw["resourceType"]
    cls = _model_class(rtype)
    if cls is None:
        return None, [(f"{rtype}.resourceType", "not a FHIR R4 resource type")]
    try:
        return cls.model_validate(item.raw), []
    except ValidationError as exc:
        found = []
        for err in exc.errors()[:20]:
            msg = str(err.get("msg", err.get("type")))
            value = err.get("input")
            if isinstance(value, (str, int, float)) and len(str(value)) >= 3 and str(value) in msg:
                msg = str(err.get("type"))
            found.append((_fhir_path(rtype, err.get("loc", ())), msg))
        return None, found
    except (ValueError, TypeError) as exc:  # a model's own check (fhir-core root validators)
        return None, [(rtype, f"not a valid R4 {rtype} ({type(exc).__name__})")]


# ---------------------------------------------------------------------------------------------
# The index: references resolved within the input (contained, fullUrl, Type/id)


@dataclasses.dataclass
class Resource:
    model: Any
    raw: dict[str, Any]
    item: RawResource

    @property
    def type(self) -> str:
        return self.raw["resourceType"]

    @property
    def label(self) -> str:
        rid = self.raw.get("id")
        return f"{self.type}/{rid}" if isinstance(rid, str) else self.type


_LITERAL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


class Index:
    def __init__(self) -> None:
        self._by: dict[str, Resource] = {}

    def add(self, res: Resource) -> None:
        if res.item.full_url:
            self._by.setdefault(res.item.full_url, res)
        rid = res.raw.get("id")
        if isinstance(rid, str):
            self._by.setdefault(f"{res.type}/{rid}", res)

    def resolve(self, ref: Any, within: Resource | None) -> Resource | None:
        text = getattr(ref, "reference", None) if ref is not None else None
        if not text:
            return None
        if text.startswith("#") and within is not None:
            for i, contained in enumerate(within.model.contained or []):
                if getattr(contained, "id", None) == text[1:]:
                    raw = (within.raw.get("contained") or [])[i]
                    return Resource(contained, raw, within.item)
            return None
        if text in self._by:
            return self._by[text]
        m = _LITERAL.search(text)
        if m:
            return self._by.get(f"{m.group(1)}/{m.group(2)}")
        return None


def clinimg_id(identifiers: Any) -> str | None:
    """The clinimg id among identifiers: an ID_SYSTEM one (an image's, a person's), else an
    EVENT_ID_SYSTEM one."""
    for system in (codes.ID_SYSTEM, codes.EVENT_ID_SYSTEM):
        for ident in identifiers or []:
            if getattr(ident, "system", None) == system and getattr(ident, "value", None):
                return str(ident.value)
    return None


def key_of(res: Resource) -> str:
    """A resource's clinimg id: its clinimg identifier, else `Type/id`, else its fullUrl."""
    ident = getattr(res.model, "identifier", None)
    if ident is not None and not isinstance(ident, list):
        ident = [ident]
    found = clinimg_id(ident)
    if found:
        return found
    if isinstance(res.raw.get("id"), str):
        return f"{res.type}/{res.raw['id']}"
    return res.item.full_url or res.type


def ref_type(ref: Any, index: Index, within: Resource | None) -> str | None:
    target = index.resolve(ref, within)
    if target is not None:
        return target.type
    if getattr(ref, "type", None):
        return str(ref.type)
    m = _LITERAL.search(getattr(ref, "reference", None) or "")
    return m.group(1) if m else None


def ref_key(ref: Any, index: Index, within: Resource | None) -> str | None:
    """The clinimg id a Reference names: its clinimg identifier, the resource it resolves to, or
    the literal `Type/id` (a `urn:uuid:` that resolves to nothing: itself)."""
    if ref is None:
        return None
    ident = getattr(ref, "identifier", None)
    found = clinimg_id([ident] if ident is not None else [])
    if found:
        return found
    target = index.resolve(ref, within)
    if target is not None:
        return key_of(target)
    text = getattr(ref, "reference", None)
    if not text or text.startswith("#"):
        return None
    m = _LITERAL.search(text)
    return f"{m.group(1)}/{m.group(2)}" if m else text


# ---------------------------------------------------------------------------------------------
# Small readers


def _codings(concepts: Any) -> list[Any]:
    """Every Coding of a CodeableConcept, a Coding, or a list of either."""
    if concepts is None:
        return []
    if not isinstance(concepts, list):
        concepts = [concepts]
    out: list[Any] = []
    for c in concepts:
        if c is None:
            continue
        if getattr(c, "coding", None) is not None:
            out.extend(c.coding)
        elif getattr(c, "code", None) is not None:
            out.append(c)
    return out


def _pairs(concepts: Any) -> set[tuple[str, str]]:
    return {(str(c.system or ""), str(c.code)) for c in _codings(concepts) if c.code is not None}


def _purpose_of(coding: Any) -> str | None:
    system, code = str(coding.system or ""), str(coding.code or "")
    if system == codes.PURPOSE_SYSTEM and code in codes.PURPOSES:
        return code
    if system in (codes.V3_ACT_REASON, codes.V3_PURPOSE_OF_USE, ""):
        return codes.V3_PURPOSE.get(code)
    return None


def purposes_of(concepts: Any, path: str) -> list[str]:
    """Every coding must be a purpose clinimg knows: one it does not know is not dropped (a
    narrower grant is harmless, a narrower refusal is not) — the resource is not mapped."""
    found: list[str] = []
    for coding in _codings(concepts):
        purpose = _purpose_of(coding)
        if purpose is None:
            raise NotMapped(path, f"purpose code {_code_text(coding)} is not mapped to a clinimg purpose (see docs/fhir.md)")
        if purpose not in found:
            found.append(purpose)
    return found


# A code is named in a message so the integration engineer sees which one is unmapped; text that
# is not shaped like a code (spaces, free text: possibly patient data) is never echoed.
_CODE_LIKE = re.compile(r"[A-Za-z0-9#][A-Za-z0-9._:/#\-]{0,119}")


def _type_text(kind: str | None) -> str:
    """A resource type for a message (Reference.type is any text: shown only as a type name)."""
    return kind if kind and re.fullmatch(r"[A-Z][A-Za-z]{0,63}", kind) else "resource of unknown type"


def _code_text(coding: Any) -> str:
    text = f"{coding.system or ''}#{coding.code}"
    return json.dumps(text) if _CODE_LIKE.fullmatch(text) else "(not shaped like a code; not shown)"


def _raw_time(raw: dict[str, Any], *path: Any) -> str | None:
    value: Any = raw
    for p in path:
        if isinstance(value, dict):
            value = value.get(p)
        elif isinstance(value, list) and isinstance(p, int) and p < len(value):
            value = value[p]
        else:
            return None
    return value if isinstance(value, str) else None


_FULL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _as_event_time(text: str | None, *, dates: bool = False) -> str | None:
    """A FHIR dateTime as the event's RFC 3339 time, written as the input wrote it. A date alone
    counts only where `dates` (a Consent's day): as 00:00 UTC of that day."""
    if not text:
        return None
    if _FULL.match(text):
        return text
    if dates and _DATE.match(text):
        return text + "T00:00:00Z"
    return None


def age_at(birth: str | None, when: str) -> float | None:
    """Full years from a FHIR birthDate (YYYY, YYYY-MM or YYYY-MM-DD) to the event's day. A partial
    date counts from its latest possible day: the youngest the patient can be (a child is never
    taken for an adult)."""
    if not birth:
        return None
    parts = birth.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 12
        day = int(parts[2][:2]) if len(parts) > 2 else (31 if month == 12 else (datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)).day)
        born = datetime.date(year, month, day)
        on = datetime.date.fromisoformat(when[:10])
    except (ValueError, IndexError):
        return None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return float(max(0, min(130, years))) if years >= 0 else None


# ---------------------------------------------------------------------------------------------
# Field extensions (clinimg facts FHIR has no element for)


def _ext_value(ext: Any) -> Any:
    for name in ("valueBoolean", "valueDecimal", "valueInteger", "valueUnsignedInt", "valuePositiveInt", "valueString", "valueCode", "valueDateTime", "valueId", "valueUri"):
        value = getattr(ext, name, None)
        if value is not None:
            if name == "valueDecimal":
                return float(value) if value != int(value) else int(value)
            if name == "valueDateTime":
                return None  # written as valueString on export; a model datetime loses its text
            return value
    return None


def field_extensions(extensions: Any, path: str) -> dict[str, Any]:
    """{dotted field: value} from clinimg field extensions."""
    found: dict[str, Any] = {}
    for i, ext in enumerate(extensions or []):
        url = str(getattr(ext, "url", "") or "")
        if url.startswith(codes.JSON_FIELD_PREFIX):
            text = getattr(ext, "valueString", None)
            try:
                found[url[len(codes.JSON_FIELD_PREFIX):]] = loads(text) if isinstance(text, str) else None
            except JSONProblem:
                raise NotMapped(f"{path}.extension[{i}]", "a clinimg JSON field extension must hold JSON text (valueString)") from None
        elif url.startswith(codes.FIELD_PREFIX):
            found[url[len(codes.FIELD_PREFIX):]] = _ext_value(ext)
    return found


def set_field(doc: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    target = doc
    for p in parts[:-1]:
        nxt = target.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            target[p] = nxt
        target = nxt
    if value is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value


# ---------------------------------------------------------------------------------------------
# The mapping


class Mapper:
    def __init__(self, index: Index) -> None:
        self.index = index

    # -- people, devices -------------------------------------------------------------------

    def person(self, ref: Any, within: Resource, path: str, extra_roles: Any = None) -> dict[str, Any]:
        """{id, role?} of who a Reference names (Practitioner, PractitionerRole, …)."""
        target = self.index.resolve(ref, within)
        pid = ref_key(ref, self.index, within)
        role_concepts: list[Any] = []
        if target is not None and target.type == "PractitionerRole":
            if target.model.practitioner is not None:
                pid = ref_key(target.model.practitioner, self.index, target) or pid
            role_concepts.extend(target.model.code or [])
        if target is not None and target.type == "Practitioner":
            role_concepts.extend(q.code for q in (target.model.qualification or []) if q.code is not None)
        if extra_roles:
            role_concepts.extend(extra_roles if isinstance(extra_roles, list) else [extra_roles])
        person: dict[str, Any] = {}
        if pid:
            person["id"] = pid
        for coding in _codings(role_concepts):
            if str(coding.code) in codes.ROLES and str(coding.system or "") in (codes.ROLE_SYSTEM, "http://terminology.hl7.org/CodeSystem/practitioner-role", ""):
                person["role"] = str(coding.code)
                break
        if target is not None:
            for dotted, value in field_extensions(target.model.extension, path).items():
                if dotted in ("actor.role", "role"):
                    person["role"] = value
        return person

    def device(self, ref: Any, within: Resource, path: str) -> dict[str, Any] | None:
        if ref is None:
            return None
        target = self.index.resolve(ref, within)
        device: dict[str, Any] = {"id": ref_key(ref, self.index, within)}
        if target is not None and target.type == "Device":
            if target.model.owner is not None:
                device["owner"] = "hospital"
            for dotted, value in field_extensions(target.model.extension, path).items():
                if dotted.startswith("device."):
                    set_field(device, dotted[len("device."):], value)
        # No owner stated: the event's schema check names $.….device.owner (after field extensions,
        # which may state it, are applied).
        return device

    def patient(self, ref: Any, within: Resource, path: str, when: str) -> dict[str, Any]:
        if ref is None:
            raise NotMapped(path, "no patient")
        kind = ref_type(ref, self.index, within)
        if kind not in (None, "Patient"):
            raise NotMapped(path, f"the subject is a {_type_text(kind)}, not a Patient")
        pid = ref_key(ref, self.index, within)
        if not pid:
            raise NotMapped(path, "the patient reference names no resource")
        patient: dict[str, Any] = {"id": pid}
        target = self.index.resolve(ref, within)
        if target is not None and target.type == "Patient":
            birth = _raw_time(target.raw, "birthDate")
            age = age_at(birth, when)
            if age is not None:
                patient["age_years"] = age
            for dotted, value in field_extensions(target.model.extension, path).items():
                if dotted.startswith("patient."):
                    set_field(patient, dotted[len("patient."):], value)
        return patient

    # -- per resource ----------------------------------------------------------------------

    def map(self, res: Resource) -> list[dict[str, Any]]:
        """The events of one Media, DocumentReference, AuditEvent, Provenance or Consent, before
        their schema check (raises NotMapped)."""
        return getattr(self, "_" + res.type.lower())(res)

    def events(self, res: Resource) -> list[dict[str, Any]]:
        docs = self.map(res)
        for doc in docs:
            problems = schemas.problems("event", doc)
            if problems:
                p = problems[0]
                raise NotMapped(res.type, f"the event it maps to is not valid: {json_path(p.path)}: {p.constraint} (see docs/fhir.md for the element or extension that gives it)")
        return docs

    def _envelope(self, res: Resource, etype: str, when: str | None, time_path: str, facility: str | None) -> dict[str, Any]:
        if not when:
            raise NotMapped(time_path, "no date-time with a time and zone to place the event (see docs/fhir.md)")
        ident = getattr(res.model, "identifier", None)
        if ident is not None and not isinstance(ident, list):
            ident = [ident]
        event_id = None
        for i in ident or []:
            if getattr(i, "system", None) == codes.EVENT_ID_SYSTEM and i.value:
                event_id = str(i.value)
        if event_id is None:
            event_id = key_of(res) if isinstance(res.raw.get("id"), str) else (res.item.full_url or None)
        if not event_id:
            raise NotMapped(f"{res.type}.id", "no id, identifier or fullUrl to name the event")
        source = getattr(getattr(res.model, "meta", None), "source", None)
        return {"schema_version": "1", "event_id": event_id, "type": etype, "occurred_at": when,
                "facility": facility or (str(source) if source else "unknown")}

    def _finish(self, res: Resource, doc: dict[str, Any], extensions: Any = None) -> dict[str, Any]:
        for dotted, value in field_extensions(res.model.extension if extensions is None else extensions, res.type).items():
            set_field(doc, dotted, value)
        return doc

    def _image_of(self, ref: Any, within: Resource) -> str | None:
        return ref_key(ref, self.index, within)

    def _media(self, res: Resource) -> list[dict[str, Any]]:
        m, raw = res.model, res.raw
        when = _as_event_time(_raw_time(raw, "createdDateTime")) or _as_event_time(_raw_time(raw, "createdPeriod", "start")) \
            or _as_event_time(_raw_time(raw, "issued")) or _as_event_time(_raw_time(raw, "content", "creation"))
        doc = self._envelope(res, "capture", when, "Media.created[x]", None)
        image: dict[str, Any] = {"id": key_of(res)}
        for coding in _codings(m.type):
            if str(coding.code) in codes.MEDIA_MODALITY:
                image["modality"] = codes.MEDIA_MODALITY[str(coding.code)]
        if not image.get("modality"):
            kind = str(getattr(m.content, "contentType", "") or "").split("/")[0]
            if kind in ("image", "video", "audio"):
                image["modality"] = {"image": "photo"}.get(kind, kind)
        if m.height and m.width:
            image["resolution_mp"] = round(int(m.height) * int(m.width) / 1_000_000, 3)
        doc["image"] = image
        doc["patient"] = self.patient(m.subject, res, "Media.subject", when)
        doc["purposes"] = purposes_of(m.reasonCode, "Media.reasonCode")
        if m.operator is None:
            raise NotMapped("Media.operator", "no operator: who took the image")
        doc["actor"] = self.person(m.operator, res, "Media.operator")
        device = self.device(m.device, res, "Media.device")
        if device:
            doc["actor"]["device"] = device
        doc["capture_record"] = {k: v for k, v in (("who", doc["actor"].get("id")), ("when", when), ("mode", m.deviceName)) if v}
        return [self._finish(res, doc)]

    def _documentreference(self, res: Resource) -> list[dict[str, Any]]:
        m, raw = res.model, res.raw
        when = _as_event_time(_raw_time(raw, "context", "period", "start")) or _as_event_time(_raw_time(raw, "date"))
        facility = ref_key(m.custodian, self.index, res) if m.custodian is not None else None
        doc = self._envelope(res, "capture", when, "DocumentReference.date", facility)
        kinds = {str(getattr(c.attachment, "contentType", "") or "").split("/")[0] for c in (m.content or [])}
        modality = next(({"image": "photo"}.get(k, k) for k in ("image", "video", "audio") if k in kinds), None)
        if modality is None:
            raise NotMapped("DocumentReference.content.attachment.contentType", "not an image, video or audio: not a clinical image capture")
        doc["image"] = {"id": key_of(res), "modality": modality}
        doc["patient"] = self.patient(m.subject, res, "DocumentReference.subject", when)
        if not m.author:
            raise NotMapped("DocumentReference.author", "no author: who took the image")
        doc["actor"] = self.person(m.author[0], res, "DocumentReference.author[0]")
        doc["purposes"] = []
        doc["capture_record"] = {k: v for k, v in (("who", doc["actor"].get("id")), ("when", when)) if v}
        return [self._finish(res, doc)]

    def _audit_kind(self, res: Resource) -> str:
        m = res.model
        found = {codes.AUDIT_TYPE[p] for p in _pairs(m.type) | _pairs(m.subtype) if p in codes.AUDIT_TYPE}
        own = {str(c.code) for c in _codings(m.subtype) + _codings(m.type) if str(c.system or "") == codes.EVENT_TYPE_SYSTEM}
        if own:
            return sorted(own)[0]
        if m.action == "D" and (not found or "deletion" in found):
            found = {"deletion"}  # a delete action decides between an export code and a destroy
        if len(found) != 1:
            what = "no" if not found else "conflicting"
            raise NotMapped("AuditEvent.type", f"{what} disclosure, receipt or deletion code (DICOM 110106 Export / 110107 Import, ISO 21089 disclose / receive / destroy, action D; see docs/fhir.md)")
        return found.pop()

    def _agents(self, res: Resource) -> tuple[Any, Any, Any]:
        """(source agent, destination agent, device agent) of an AuditEvent."""
        source = destination = device = None
        for agent in res.model.agent or []:
            pairs = _pairs(agent.type) | _pairs(agent.role)
            is_device = ref_type(agent.who, self.index, res) == "Device"
            if is_device:
                device = device or agent
            elif pairs & codes.DESTINATION_AGENT:
                destination = destination or agent
            elif pairs & codes.SOURCE_AGENT:
                source = source or agent
        if source is None:
            source = next((a for a in res.model.agent or [] if a.requestor and a is not destination and a is not device), None)
        return source, destination, device

    def _audit_image(self, res: Resource) -> tuple[str, Any]:
        for i, entity in enumerate(res.model.entity or []):
            kind = ref_type(entity.what, self.index, res)
            if kind in ("Media", "DocumentReference"):
                return self._image_of(entity.what, res) or "", entity
        raise NotMapped("AuditEvent.entity.what", "no entity names the image (a Media or DocumentReference)")

    def _audit_patient(self, res: Resource, image_entity: Any, when: str) -> dict[str, Any]:
        for entity in res.model.entity or []:
            if ref_type(entity.what, self.index, res) == "Patient":
                return self.patient(entity.what, res, "AuditEvent.entity.what", when)
        image = self.index.resolve(image_entity.what, res)
        if image is not None:
            subject = image.model.subject
            return self.patient(subject, image, f"{image.type}.subject", when)
        raise NotMapped("AuditEvent.entity", "no entity names the patient (a Patient, or the image's subject)")

    def _auditevent(self, res: Resource) -> list[dict[str, Any]]:
        m, raw = res.model, res.raw
        kind = self._audit_kind(res)
        when = _as_event_time(_raw_time(raw, "period", "start")) or _as_event_time(_raw_time(raw, "recorded"))
        site = getattr(m.source, "site", None) if m.source is not None else None
        etype = {"display": "disclosure", "deletion": "device_deletion"}.get(kind, kind)
        doc = self._envelope(res, etype, when, "AuditEvent.recorded", str(site) if site else None)
        if kind in OTHER_AUDIT_KINDS:
            return [self._other_audit(res, doc, when)]
        image_id, entity = self._audit_image(res)
        doc["image"] = {"id": image_id}
        doc["patient"] = self._audit_patient(res, entity, when)
        source, destination, device_agent = self._agents(res)
        device = self.device(device_agent.who, res, "AuditEvent.agent.who") if device_agent is not None else None
        if kind in ("disclosure", "display"):
            if source is None:
                raise NotMapped("AuditEvent.agent", "no source agent (DICOM 110153, or requestor): who disclosed the image")
            doc["actor"] = self.person(source.who, res, "AuditEvent.agent.who", source.role)
            if device:
                doc["actor"]["device"] = device
            if destination is None:
                raise NotMapped("AuditEvent.agent", "no destination agent (DICOM 110152 or v3 IRCP): who received the image")
            doc["recipient"] = self._recipient(destination, res)
            purposes = purposes_of(m.purposeOfEvent, "AuditEvent.purposeOfEvent") or purposes_of(
                [c for a in (m.agent or []) for c in (a.purposeOfUse or [])], "AuditEvent.agent.purposeOfUse")
            if purposes:
                doc["purpose"] = purposes[0]
            if kind == "display":
                doc["channel"] = "in_person_display"
        elif kind == "receipt":
            receiver = destination or next((a for a in m.agent or [] if a.requestor and a is not device_agent), None)
            if receiver is None:
                raise NotMapped("AuditEvent.agent", "no destination agent (DICOM 110152, or requestor): who received the image")
            doc["actor"] = self.person(receiver.who, res, "AuditEvent.agent.who", receiver.role)
            if source is not None and source is not receiver:
                doc["sender"] = {"id": ref_key(source.who, self.index, res)}
            if device:
                doc["device"] = device
        else:  # deletion: from a device, or (no device agent) from the record
            actor = source or next((a for a in m.agent or [] if a is not device_agent), None)
            if actor is None:
                raise NotMapped("AuditEvent.agent", "no agent: who deleted the image")
            doc["actor"] = self.person(actor.who, res, "AuditEvent.agent.who", actor.role)
            if device:
                doc["device"] = device
            else:
                doc["type"] = "record_deletion"
        return [self._finish(res, doc)]

    def _other_audit(self, res: Resource, doc: dict[str, Any], when: str) -> dict[str, Any]:
        """An event type FHIR has no resource for (device_posture, access_request, breach_report,
        patient_provided): an AuditEvent with clinimg's event-type code, facts as field extensions."""
        m = res.model
        agent = next((a for a in m.agent or [] if ref_type(a.who, self.index, res) != "Device"), None)
        if agent is not None:
            doc["actor"] = self.person(agent.who, res, "AuditEvent.agent.who", agent.role)
        for entity in m.entity or []:
            kind = ref_type(entity.what, self.index, res)
            if kind == "Patient":
                doc["patient"] = self.patient(entity.what, res, "AuditEvent.entity.what", when)
            elif kind in ("Media", "DocumentReference"):
                doc["image"] = {"id": ref_key(entity.what, self.index, res)}
        return self._finish(res, doc)

    def _recipient(self, agent: Any, res: Resource) -> dict[str, Any]:
        recipient: dict[str, Any] = {"id": self.person(agent.who, res, "AuditEvent.agent.who").get("id") or ""}
        kind = ref_type(agent.who, self.index, res)
        if kind == "CareTeam":
            recipient.update(kind="clinician", relationship="treating_team")
        elif kind in codes.RECIPIENT_KIND_BY_RESOURCE:
            recipient["kind"] = codes.RECIPIENT_KIND_BY_RESOURCE[kind]
        for dotted, value in field_extensions(agent.extension, "AuditEvent.agent").items():
            if dotted.startswith("recipient."):
                set_field(recipient, dotted[len("recipient."):], value)
        return recipient

    def _provenance(self, res: Resource) -> list[dict[str, Any]]:
        m, raw = res.model, res.raw
        when = _as_event_time(_raw_time(raw, "occurredDateTime")) or _as_event_time(_raw_time(raw, "occurredPeriod", "start")) or _as_event_time(_raw_time(raw, "recorded"))
        facility = ref_key(m.location, self.index, res) if m.location is not None else None
        doc = self._envelope(res, "record_transfer", when, "Provenance.recorded", facility)
        target = next((t for t in m.target or [] if ref_type(t, self.index, res) in ("Media", "DocumentReference")), None)
        if target is None:
            raise NotMapped("Provenance.target", "no target names the image (a Media or DocumentReference)")
        doc["image"] = {"id": ref_key(target, self.index, res)}
        image = self.index.resolve(target, res)
        patient_ref = getattr(image.model, "subject", None) if image is not None else None
        if patient_ref is None:
            patient_ext = field_extensions(m.extension, "Provenance").get("patient.id")
            if not patient_ext:
                raise NotMapped("Provenance.target", "the image's patient is unknown (the target's subject, or the clinimg extension patient.id)")
            doc["patient"] = {"id": patient_ext}
        else:
            doc["patient"] = self.patient(patient_ref, image, f"{image.type}.subject", when)
        agent = m.agent[0]
        doc["actor"] = self.person(agent.who, res, "Provenance.agent.who", agent.role)
        return [self._finish(res, doc)]

    def _consent(self, res: Resource) -> list[dict[str, Any]]:
        m, raw = res.model, res.raw
        status = codes.CONSENT_STATUS.get(str(m.status))
        if status is None:
            known = str(m.status) in ("draft", "proposed", "entered-in-error")  # R4's other codes; anything else is not echoed
            raise NotMapped("Consent.status", f"status {json.dumps(str(m.status)) if known else '(not an R4 Consent status code; not shown)'} is no decision in force (active, rejected or inactive are)")
        when = _as_event_time(_raw_time(raw, "dateTime"), dates=True) or _as_event_time(_raw_time(raw, "meta", "lastUpdated"))
        facility = ref_key(m.organization[0], self.index, res) if m.organization else None
        base = self._envelope(res, "consent", when, "Consent.dateTime", facility)
        base["patient"] = self.patient(m.patient, res, "Consent.patient", when)
        given_by = "patient"
        actor: dict[str, Any] | None = None
        for i, performer in enumerate(m.performer or []):
            kind = ref_type(performer, self.index, res)
            if kind == "RelatedPerson":
                target = self.index.resolve(performer, res)
                rel = {str(c.code) for c in _codings(target.model.relationship if target is not None else None)}
                given_by = "parent_guardian" if rel & codes.PARENT_CODES else "substitute_decision_maker"
            elif kind in ("Practitioner", "PractitionerRole") and actor is None:
                actor = self.person(performer, res, f"Consent.performer[{i}]")
        if actor is None or "role" not in actor:
            # No clinician recorded it: the consent event's actor is who holds it (no rule reads a
            # consent event's actor; docs/fhir.md says so).
            actor = {"id": (actor or {}).get("id") or base["facility"], "role": "admin"}
        base["actor"] = actor
        given_at = _as_event_time(_raw_time(raw, "dateTime"), dates=True)
        docs: list[dict[str, Any]] = []

        def consent_from(provision: Any, path: str, status_here: str, extensions: Any, suffix: str) -> None:
            if provision is not None:
                _mappable_provision(provision, path)
            consent: dict[str, Any] = {"status": status_here, "given_by": given_by,
                                       "purposes": purposes_of(provision.purpose if provision is not None else None, f"{path}.purpose")}
            images = [ref_key(d.reference, self.index, res) for d in (provision.data or [])] if provision is not None else []
            if images:
                consent["image_ids"] = [i for i in images if i]
            recipients: list[str] = []
            for actor_item in (provision.actor or []) if provision is not None else []:
                roles = {str(c.code) for c in _codings(actor_item.role)}
                named = [r for r in roles if r in codes.RECIPIENT_DESCRIPTORS]
                if named:
                    recipients.extend(named)
                elif roles & codes.RECIPIENT_ROLES:
                    kind = ref_type(actor_item.reference, self.index, res)
                    if kind not in codes.RECIPIENT_KIND_BY_RESOURCE:
                        raise NotMapped(f"{path}.actor.reference", f"a recipient that is a {_type_text(kind)} maps to no recipient kind")
                    recipients.append(codes.RECIPIENT_KIND_BY_RESOURCE[kind])
            if recipients:
                consent["recipients"] = sorted(set(recipients))
            start = _as_event_time(_raw_time(raw, *_provision_path(path), "period", "start"), dates=True) if provision is not None else None
            if start and given_at and start > given_at and status_here == "granted":
                consent["given_at"] = start  # in force from the period's start (compared as text: both RFC 3339 as written)
            elif given_at:
                consent["given_at"] = given_at
            # A Consent resource kept in the hospital's FHIR store is the consent documented in the
            # health record ("The consent process should be documented in the medical records"),
            # refusals included; the consent.documented_in_record extension may still say false.
            consent["documented_in_record"] = True
            if m.sourceAttachment is not None or m.sourceReference is not None:
                consent["written_form"] = True
            doc = {**base, "event_id": base["event_id"] + suffix, "consent": consent}
            for dotted, value in field_extensions(extensions, path).items():
                set_field(doc, dotted, value)
            docs.append(doc)
            # A grant's period that ends: the consent lapses then, as a withdrawal of what it granted.
            end = _as_event_time(_raw_time(raw, *_provision_path(path), "period", "end"), dates=True) if provision is not None else None
            if end and status_here == "granted":
                lapse = {"status": "withdrawn", "given_by": consent["given_by"], "purposes": consent["purposes"] or list(codes.PURPOSES)}
                for key in ("image_ids", "recipients"):
                    if key in consent:
                        lapse[key] = consent[key]
                docs.append({**base, "event_id": base["event_id"] + suffix + LAPSE_SUFFIX, "occurred_at": end, "consent": lapse})

        root = m.provision
        root_status = status
        opt_out = {str(c.code) for c in _codings(m.policyRule)} & {"OPTOUT", "OPTOUTE"}
        root_type = root.type if root is not None and root.type else ("deny" if opt_out else "permit")
        if status == "granted" and root_type == "deny":
            root_status = "refused"
        consent_from(root, "Consent.provision", root_status, m.extension, "")
        # Nested provisions are exceptions to the root: a deny inside a permit is a refusal of
        # what it names, a permit inside a deny a grant of it (in force only while active).
        for n, nested in enumerate((root.provision or []) if root is not None else [], start=1):
            if status != "granted":
                continue
            consent_from(nested, f"Consent.provision.provision[{n - 1}]", "refused" if nested.type == "deny" else "granted",
                         list(m.extension or []) + list(nested.extension or []), f"#{n}")
        return docs


def _provision_path(path: str) -> list[Any]:
    """The raw JSON path of a provision from its FHIR path (Consent.provision.provision[1])."""
    out: list[Any] = []
    for part in path.split(".")[1:]:
        m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?", part)
        if m:
            out.append(m.group(1))
            if m.group(2) is not None:
                out.append(int(m.group(2)))
    return out


_ALL_ACTIONS = {"collect", "use", "disclose"}


def _mappable_provision(provision: Any, path: str) -> None:
    """A provision clinimg's consent object can say: by purpose, image (data), recipient (actor)
    and time (period). One narrowed by what else FHIR allows is not mapped rather than widened
    (a wider grant could permit, a wider refusal deny, what the patient never said)."""
    for name in ("securityLabel", "class_fhir", "code", "dataPeriod"):
        if getattr(provision, name, None):
            raise NotMapped(f"{path}.{name.removesuffix('_fhir')}", f"a provision restricted by {name.removesuffix('_fhir')} cannot be mapped to a clinimg consent (by purpose, image, recipient and period only)")
    actions = {str(c.code) for c in _codings(provision.action)}
    if actions and not _ALL_ACTIONS <= actions:
        raise NotMapped(f"{path}.action", "a provision for some actions only (a clinimg consent covers capture, use and disclosure together: collect, use and disclose)")


# ---------------------------------------------------------------------------------------------
# The entry points


def read_fhir(paths: Iterable[str], on_event: Callable[[FhirEvent], None] | None = None) -> FhirRead:
    """Every resource of the files, mapped (or listed as unmapped). References resolve across
    all the files (Bulk Data writes one file per resource type). With `on_event`, events are
    handed over as they are made, not kept (an audit's export can be any size)."""
    paths = list(paths)
    problems: list[Unmapped] = []

    def items() -> Iterator[RawResource]:
        for path in paths:
            yield from _read_file(path, problems)

    return _map_items(paths, items, problems, on_event)


def read_fhir_document(name: str, doc: Any, text: str | None = None) -> FhirRead:
    """read_fhir for one document already in memory (a Bundle, or a resource); with its text,
    problems name their lines."""
    problems: list[Unmapped] = []
    found = list(_resources(name, text, doc, [], 1, problems))
    return _map_items([name], lambda: iter(found), problems, None)


# Resources kept (validated) between the two passes: what events refer to. Every other
# resource is validated, mapped and dropped in the second pass, so memory holds the context,
# never the events.
_KEPT = CONTEXT_TYPES + ("Media", "DocumentReference")


def _map_items(files: list[str], items: Callable[[], Iterator[RawResource]], problems: list[Unmapped],
               on_event: Callable[[FhirEvent], None] | None) -> FhirRead:
    result = FhirRead(files=files)
    index = Index()
    kept: dict[int, Resource | None] = {}  # position → the validated resource (None: invalid)

    def invalid(item: RawResource, rtype: str, why: list[tuple[str, str]]) -> None:
        label = f"{rtype}/{item.raw['id']}" if isinstance(item.raw.get("id"), str) else rtype
        fpath, reason = why[0]
        more = f" (and {len(why) - 1} more)" if len(why) > 1 else ""
        result.unmapped.append(Unmapped(item.file, item.line, label, fpath, f"not valid FHIR R4: {reason}{more}"))
        result.count(rtype, "unmapped")

    for position, item in enumerate(items()):  # pass 1: count, validate and index the context
        rtype = str(item.raw.get("resourceType"))
        result.count(rtype, "read")
        if rtype in _KEPT:
            model, why = validated(item)
            if model is None:
                invalid(item, rtype, why)
                kept[position] = None
                continue
            res = Resource(model, item.raw, item)
            index.add(res)
            kept[position] = res
    for p in problems:  # unreadable lines and entries: read, and not mapped
        result.unmapped.append(p)
        kind = "(unreadable)" if p.resource == "?" else p.resource
        result.count(kind, "read")
        result.count(kind, "unmapped")
    problems.clear()  # the second reading finds them again: already counted
    mapper = Mapper(index)
    for position, item in enumerate(items()):  # pass 2: every event, made and handed over
        rtype = str(item.raw.get("resourceType"))
        if position in kept:
            res = kept[position]
            if res is None:
                continue
        else:
            model, why = validated(item)
            if model is None:
                invalid(item, rtype, why)
                continue
            res = Resource(model, item.raw, item)
        if res.type in CONTEXT_TYPES:
            result.count(res.type, "context")
            continue
        if res.type not in EVENT_TYPES:
            result.unmapped.append(Unmapped(item.file, item.line, res.label, res.type, f"resource type {res.type} is not mapped to a clinimg event (see docs/fhir.md)"))
            result.count(res.type, "unmapped")
            continue
        try:
            docs = mapper.events(res)
        except NotMapped as exc:
            result.unmapped.append(Unmapped(item.file, item.line, res.label, exc.path, exc.reason))
            result.count(res.type, "unmapped")
            continue
        result.count(res.type, "events", len(docs))
        for doc in docs:
            event = FhirEvent(item.file, item.line, res.label, doc)
            if on_event is None:
                result.events.append(event)
            else:
                on_event(event)
    return result


def request_from_fhir(path: str, doc: dict[str, Any] | None = None, text: str | None = None) -> dict[str, Any]:
    """A disclosure request (for `check`) from a FHIR Bundle: its one capture or disclosure, the
    patient's consents, and for a disclosure the image as captured (from its Media in the Bundle).
    Anything unmapped is an error (a dropped refusal could turn a deny into a permit)."""
    read = read_fhir([path]) if doc is None else read_fhir_document(path, doc, text)
    if read.unmapped:
        lines = [u.line_text() for u in sorted(read.unmapped, key=lambda u: (u.line, u.path))]
        raise CheckerError("\n".join(lines + [f"{path}: {len(read.unmapped)} FHIR resource(s) not mapped; nothing decided"]),
                           problems=[{"path": u.path, "constraint": u.reason, "line": u.line} for u in read.unmapped])
    return request_from_events(path, [e.doc for e in read.events])


def request_from_events(path: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    actions = [d for d in docs if d["type"] in ("disclosure", "capture")]
    disclosures = [d for d in actions if d["type"] == "disclosure"]
    chosen = disclosures if disclosures else actions
    if len(chosen) != 1:
        raise CheckerError(f"{path}: a FHIR request holds exactly one proposed capture (Media, DocumentReference) or disclosure (AuditEvent); found {len(chosen)}")
    request = json.loads(json.dumps(chosen[0]))
    patient_id = request["patient"]["id"]
    from ..audit.state import parse_ns

    # A consent whose period ends after the proposed action still covers it: its lapse is not on
    # file yet (kept, it would read as a withdrawal and deny what the patient agreed to).
    asked_at = parse_ns(request["occurred_at"])
    request["consents"] = [d["consent"] for d in docs if d["type"] == "consent" and d["patient"]["id"] == patient_id
                           and not (is_lapse(d) and parse_ns(d["occurred_at"]) > asked_at)]
    if request["type"] == "disclosure":
        for capture in (d for d in docs if d["type"] == "capture" and d["image"]["id"] == request["image"]["id"]):
            request["image"] = {**capture["image"], "purposes": capture.get("purposes", [])}
    return request
