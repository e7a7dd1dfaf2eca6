"""The JSON Schemas of schemas/, loaded once; validation errors that never echo a value."""
from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import itertools
import re
import json
import pathlib
from typing import Any

import jsonschema
import referencing

SCHEMA_DIR = pathlib.Path(__file__).resolve().parent.parent / "schemas"
if not SCHEMA_DIR.is_dir():  # pragma: no cover - installed layout
    SCHEMA_DIR = pathlib.Path(__file__).resolve().parent / "schemas"

BASE_URI = "https://clinimg.example/schemas/"


@dataclasses.dataclass(frozen=True)
class SchemaProblem:
    path: list[Any]  # JSON path parts into the document
    constraint: str  # what is broken, in words from the schema, never from the instance


@functools.lru_cache(maxsize=None)
def _registry() -> referencing.Registry:
    resources = []
    for p in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(p.read_text(encoding="utf-8"))
        resources.append((schema.get("$id", BASE_URI + p.name), referencing.Resource.from_contents(schema)))
    return referencing.Registry().with_resources(resources)


@functools.lru_cache(maxsize=None)
def purposes() -> frozenset[str]:
    """The purposes the schemas know (defs.schema.json, `$defs.purpose`)."""
    defs = json.loads((SCHEMA_DIR / "defs.schema.json").read_text(encoding="utf-8"))
    return frozenset(defs["$defs"]["purpose"]["enum"])


@functools.lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for schemas/<name>.schema.json, with format checking on.

    The schema is validated with its `$ref`s inlined: resolving them through the registry on
    every document made validation several times slower (the audit validates many documents).
    """
    schema = _inline(_registry().contents(BASE_URI + f"{name}.schema.json"), BASE_URI + f"{name}.schema.json")
    cls = jsonschema.Draft202012Validator
    return cls(schema, registry=_registry(), format_checker=format_checker())


@functools.lru_cache(maxsize=None)
def format_checker() -> jsonschema.FormatChecker:
    """Draft 2020-12's format checker with `date-time` checked here: jsonschema checks it only
    when the optional rfc3339-validator happens to be installed, so `validate`, `check`, `audit`
    and `serve` would give different verdicts on different machines (2026-02-29 passes the
    schema's pattern; only a calendar says it does not exist)."""
    base = jsonschema.Draft202012Validator.FORMAT_CHECKER
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(base.checkers)
    checker.checks("date-time", raises=ValueError)(is_date_time)
    return checker


_DATE_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))\Z")


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time (as rfc3339-validator checks it): the form, and a date the calendar
    has (leap years), hours < 24, minutes < 60, seconds ≤ 60, offsets within a day. Not a
    string: not this format's business (JSON Schema)."""
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


def upper_case_times(document: Any) -> Any:
    """The document with every time the schema types as a date-time (occurred_at, capture_record.when,
    a consent's given_at, lifecycle.as_of) written with upper-case `T` and `Z` — in place.

    RFC 3339 (5.6) lets a date-time use a lower-case `t` and `z`, so the schema accepts them; but
    FHIR's dateTime, Python's fromisoformat and a hospital's own Rego read only the upper case:
    the one spelling from here on. (The same instant: nothing is invented.)"""
    if not isinstance(document, dict):
        return document
    _upper(document, "occurred_at")
    for part, key in (("capture_record", "when"), ("lifecycle", "as_of"), ("consent", "given_at")):
        if isinstance(document.get(part), dict):
            _upper(document[part], key)
    consents = document.get("consents")
    if isinstance(consents, list):
        for item in consents:
            if isinstance(item, dict):
                _upper(item, "given_at")
    return document


def _upper(holder: dict[str, Any], key: str) -> None:
    value = holder.get(key)
    if isinstance(value, str) and len(value) >= 20 and (value[10] == "t" or value[-1] == "z") and is_date_time(value):
        holder[key] = (value[:10] + "T" + value[11:]).removesuffix("z") + ("Z" if value[-1] == "z" else "")


def _inline(node: Any, base: str, depth: int = 0) -> Any:
    """Replace every `$ref` by the schema it names (our schemas are not recursive)."""
    if depth > 50:  # pragma: no cover - a recursive schema would need the registry after all
        raise ValueError("schema $ref nesting too deep to inline")
    if isinstance(node, list):
        return [_inline(x, base, depth) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, base, depth) for k, v in node.items() if k != "$ref"}
    if "$ref" in node:
        ref = node["$ref"]
        uri, _, fragment = ref.partition("#")
        uri = uri or base
        target: Any = _registry().contents(uri)
        for part in [p for p in fragment.split("/") if p]:
            target = target[part]
        resolved = _inline(target, uri, depth + 1)
        if out:
            out = {k: v for k, v in out.items() if k not in ("$id", "$schema")}
            return {"allOf": [resolved, out]} if out else resolved
        return {k: v for k, v in resolved.items() if k not in ("$id",)} if isinstance(resolved, dict) else resolved
    return out


@functools.lru_cache(maxsize=None)
def top_level_keys() -> frozenset[str]:
    """Every key SPEC and docs/input.md give an event or a request at its top level."""
    return frozenset(validator("event").schema["properties"]) | frozenset(validator("request").schema["properties"])


# The keys a person means at the top level of each type (SPEC §3's envelope and key fields, the
# request's facts, docs/input.md's extensions): a near miss of another type's key (`reported_at`
# on a disclosure is not a misspelt breach report's `reported_to`) is left alone.
_ENVELOPE = frozenset({"schema_version", "event_id", "type", "occurred_at", "facility", "actor", "patient", "image", "consents", "lifecycle"})
_TYPE_KEYS = {
    "capture": frozenset({"purposes", "capture_record", "circumstances", "legal_basis"}),
    "consent": frozenset({"consent"}),
    "disclosure": frozenset({"purpose", "recipient", "channel", "legal_basis", "intended_recipient", "shown_from"}),
    "record_transfer": frozenset({"method", "linked_to_patient"}),
    "device_deletion": frozenset({"device"}),
    "receipt": frozenset({"sender", "device"}),
    "device_posture": frozenset({"device"}),
    "record_deletion": frozenset({"reason"}),
    "access_request": frozenset({"requester", "legal_basis", "produced", "images_produced"}),
    "breach_report": frozenset({"related_event_id", "reported_to"}),
    "patient_provided": frozenset({"owner_agreed_to_copy", "retention_explained"}),
}


def misspelt_keys(document: Any) -> list[SchemaProblem]:
    """Top-level keys of an event or request that are a known key misspelt — `circumstance`,
    `consnets`, `occured_at` — while that key itself is absent. The top level admits other keys
    (extensions), so the schema let them by, and the facts they held were never read: a capture
    `in_theatre` decided as if it were not, a request's consents as if there were none. (Close
    means difflib's ratio of 0.85 or more; a key of its own, `x_site_code`, `reported_at` beside
    `reported_to`, passes as before.)"""
    if not isinstance(document, dict):
        return []
    known = top_level_keys()
    kind = document.get("type")
    meant = sorted(_ENVELOPE | _TYPE_KEYS[kind]) if isinstance(kind, str) and kind in _TYPE_KEYS else sorted(known)
    found = []
    for key in document:
        if not isinstance(key, str) or key in known or len(key) < 4:
            continue
        guess = difflib.get_close_matches(key, meant, n=1, cutoff=0.85)
        if guess and guess[0] not in document:
            found.append(SchemaProblem([key], f'unknown key (did you mean "{guess[0]}"?)'))
    return found


# At most this many schema errors are gathered for one document: a 1 MiB request can hold 60,000
# broken list items, and gathering (and locating) every one took minutes and much memory.
MAX_PROBLEMS = 100


def problems(name: str, document: Any, limit: int | None = MAX_PROBLEMS) -> list[SchemaProblem]:
    """The schema errors of `document` (the first `limit` the validator finds), sorted by path;
    leaf errors of combinators expanded. An event or request also may not hold a misspelt key
    (misspelt_keys)."""
    misspelt = misspelt_keys(document) if name in ("event", "request") else []
    verdict = valid_verdict(name)
    if verdict is not None:
        try:
            if verdict(document):
                return misspelt  # (jsonschema, which says why, is asked only about invalid documents)
        except _Unsure:
            pass
    out: list[SchemaProblem] = list(misspelt)
    errors = validator(name).iter_errors(document)
    for error in itertools.islice(errors, limit) if limit is not None else errors:
        out.extend(_describe(error))
    unique = {(json.dumps(p.path), p.constraint): p for p in out}
    # A time or date broken in form breaks its pattern and its format: one problem, the pattern's.
    formats = ("is not a valid date-time", "is not a valid date")
    by_pattern = {key[0] for key in unique if not key[1].startswith(formats)}
    unique = {key: p for key, p in unique.items() if not (key[1].startswith(formats) and key[0] in by_pattern)}
    found = sorted(unique.values(), key=lambda p: (json.dumps(p.path), p.constraint))
    return found[:limit] if limit is not None else found  # (one error can be many problems: unknown keys)


_LEAP_SECOND = re.compile(r"\A\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:60(\.\d+)?([Zz]|[+-]\d\d:\d\d)\Z")

# A time written in a common form that is not RFC 3339's: "2026-11-20 09:00:00Z" (SQL, Python's
# str()), no seconds, no offset, an offset without its colon. Parts: date, separator, hh:mm,
# :ss and fraction, offset.
_NEAR_DATE_TIME = re.compile(r"\A(\d{4}-\d\d-\d\d)(?:([Tt ])(\d\d:\d\d)(:\d\d(?:[.,]\d+)?)?\s*([Zz]|[+-]\d\d:?\d\d|[+-]\d\d)?)?\Z")
DATE_TIME_EXAMPLE = "e.g. 2026-11-20T09:00:00+11:00 or 2026-11-20T09:00:00Z"


def date_time_form_problem(value: Any) -> str | None:
    """What keeps a time in a near-miss form from being RFC 3339 as the schemas (and every engine)
    read it — a date and time joined by a space, no seconds, no offset — said in words, with the
    form expected; None for any other value. The value itself is never shown.

    RFC 3339 5.6's grammar joins date and time with a T (or t); its note that an application
    "may choose" a space is not the grammar JSON Schema's `date-time`, OPA's time functions and
    FHIR's dateTime read, so clinimg reads the grammar and says what to change."""
    if not isinstance(value, str):
        return None
    m = _NEAR_DATE_TIME.match(value)
    if not m:
        return None
    separator, minutes, seconds, offset = m.group(2), m.group(3), m.group(4), m.group(5)
    wrong = []
    if separator is None:
        wrong.append("is a date alone (a time needs the time of day and an offset)")
    else:
        if separator == " ":
            wrong.append("has a space between the date and the time (RFC 3339 joins them with a T)")
        if seconds is None:
            wrong.append("has no seconds")
        elif "," in seconds:
            wrong.append("has a comma before the fraction of a second (RFC 3339 needs a point)")
        if offset is None:
            wrong.append("has no offset (Z for UTC, or the local offset: a time without one is a different instant in every time zone)")
        elif offset[0] in "+-" and ":" not in offset:
            wrong.append("has an offset without its colon (+hh:mm)")
        if " " in value[len(m.group(1)) + 1:]:
            wrong.append("has a space before the offset")
    if not wrong:
        return None
    return "; ".join(wrong) + f": an RFC 3339 date-time is needed, {DATE_TIME_EXAMPLE}"


def _describe(error: jsonschema.ValidationError) -> list[SchemaProblem]:
    path = list(error.absolute_path)
    v, val = error.validator, error.validator_value
    if v in ("anyOf", "oneOf") and error.context:
        # Report the branch that got furthest, as jsonschema's best_match does.
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and list(best.absolute_path) != path:
            return _describe(best)
        # A value of a form's type that breaks that form (an object with a misspelt key, where an
        # id or an object is allowed): say what is wrong in it, not "no form matches".
        same_type = [e for e in error.context if not (e.validator == "type" and list(e.absolute_path) == path)]
        if same_type:
            # (a form that is one constant — `""` for "not recorded" — says less about what went
            # wrong than the form the value was meant for: "2026-11-20 9am" is a bad time, not a
            # bad empty string)
            meant = [e for e in same_type if e.validator != "const"] or same_type
            return _describe(jsonschema.exceptions.best_match(meant))
        types = sorted({t for e in error.context if e.validator == "type" and list(e.absolute_path) == path
                        for t in ([e.validator_value] if isinstance(e.validator_value, str) else e.validator_value)})
        if types:
            return [SchemaProblem(path, f"must be of type {' or '.join(types)}")]
        return [SchemaProblem(path, "does not match any allowed form")]
    if v == "required":
        missing = [k for k in val if isinstance(error.instance, dict) and k not in error.instance]
        return [SchemaProblem(path + [k], "is required") for k in missing] or [SchemaProblem(path, "a required field is missing")]
    if v == "additionalProperties":
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        return [SchemaProblem(path + [k], "unknown key (not in the schema; check the spelling)") for k in extra]
    if v == "unevaluatedProperties":
        return [SchemaProblem(path, "has keys the schema does not know (check the spelling)")]
    if v == "propertyNames":
        return [SchemaProblem(path, "has a key that is not allowed here")]
    if v == "enum":
        return [SchemaProblem(path, "must be one of: " + ", ".join(json.dumps(x) for x in val))]
    if v == "const":
        return [SchemaProblem(path, f"must be {json.dumps(val)}")]
    if v == "type":
        kinds = val if isinstance(val, list) else [val]
        return [SchemaProblem(path, "must be of type " + " or ".join(kinds))]
    if v == "format":
        if val == "date-time":
            # (what form is expected: "is not a valid date-time" alone left a person guessing)
            return [SchemaProblem(path, date_time_form_problem(error.instance) or f"is not a valid date-time: an RFC 3339 date-time with seconds and an offset, {DATE_TIME_EXAMPLE}")]
        if val == "date":
            return [SchemaProblem(path, "is not a valid date: a calendar date YYYY-MM-DD the calendar has, e.g. 2027-01-31")]
        return [SchemaProblem(path, f"is not a valid {val}")]
    if v == "pattern":
        near = date_time_form_problem(error.instance) if error.schema.get("format") == "date-time" else None
        if near:
            return [SchemaProblem(path, near)]
        if isinstance(error.instance, str) and _LEAP_SECOND.search(error.instance):
            # RFC 3339 allows :60; no engine holds one (Python's datetime, OPA's Go time): say that,
            # not "does not match an RFC 3339 date-time". (The value itself is not shown.)
            return [SchemaProblem(path, "is a leap second (:60), which RFC 3339 allows but no engine can hold: write :59")]
        what = error.schema.get("description") or error.schema.get("title") or "the required pattern"
        return [SchemaProblem(path, f"does not match {what}")]
    words = {
        "minLength": "must be at least {} characters long",
        "maxLength": "must be at most {} characters long",
        "minimum": "must be at least {}",
        "maximum": "must be at most {}",
        "exclusiveMinimum": "must be greater than {}",
        "exclusiveMaximum": "must be less than {}",
        "minItems": "must have at least {} items",
        "maxItems": "must have at most {} items",
        "uniqueItems": "must not repeat items",
        "minProperties": "must have at least {} keys",
        "maxProperties": "must have at most {} keys",
    }
    if v in words:
        return [SchemaProblem(path, words[v].format(val))]
    if v == "false" or val is False:
        return [SchemaProblem(path, "is not allowed here")]
    return [SchemaProblem(path, f"breaks the schema's {v!s} constraint")]


# ---------------------------------------------------------------------------------------------
# The verdict alone (valid or not), compiled from the schema into Python closures: tens of µs a
# document where jsonschema takes ~0.5–2 ms (the audit checks every line whose shape is new, and
# on a hospital's varied log nearly every line's is). It covers exactly the keywords our schemas
# use, with jsonschema's semantics (tests/unit/test_schema_verdicts.py compares the two on mutated
# documents); a schema using any other keyword is not compiled, and a value of a type JSON does
# not produce raises _Unsure: jsonschema decides those. Only a "valid" is taken from here — an
# invalid document goes to jsonschema for its reasons.


class _Unsure(Exception):
    """Not a JSON value this compiler knows: ask jsonschema."""


class _Unsupported(Exception):
    """A schema keyword this compiler does not know."""


_ANNOTATIONS = {"title", "description", "$schema", "$id", "$comment", "examples", "default", "$defs"}
_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def _is_type(value: Any, kind: str) -> bool:
    if not isinstance(value, _JSON_TYPES):
        raise _Unsure
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "number":
        return isinstance(value, (int, float))
    if kind == "integer":  # (jsonschema: 1.0 is an integer)
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise _Unsupported(f"type {kind!r}")


def _compile(schema: Any) -> Any:
    """A function value → bool for this (inlined) schema; _Unsupported if it uses anything else."""
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict):
        raise _Unsupported("a schema that is not an object")
    checks: list[Any] = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS or key in ("then", "else"):
            continue
        if key == "type":
            kinds = arg if isinstance(arg, list) else [arg]
            for k in kinds:
                _is_type(None, k)  # (an unknown type name: _Unsupported now)
            checks.append(lambda v, kinds=tuple(kinds): any(_is_type(v, k) for k in kinds))
        elif key in ("enum", "const"):
            members = arg if key == "enum" else [arg]
            if not all(isinstance(m, str) for m in members):
                raise _Unsupported(f"{key} with values other than strings")
            # jsonschema's equality with a string is Python's ==, for strings only
            checks.append(lambda v, members=frozenset(members): isinstance(v, str) and v in members)
        elif key == "pattern":
            compiled = re.compile(arg)
            checks.append(lambda v, c=compiled: not isinstance(v, str) or c.search(v) is not None)
        elif key == "minLength":
            checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) >= n)
        elif key == "maxLength":
            checks.append(lambda v, n=arg: not isinstance(v, str) or len(v) <= n)
        elif key == "minimum":
            checks.append(lambda v, n=arg: not _is_type(v, "number") or not v < n)
        elif key == "maximum":
            checks.append(lambda v, n=arg: not _is_type(v, "number") or not v > n)
        elif key == "format":
            if arg != "date-time":
                raise _Unsupported(f"format {arg!r}")
            checks.append(lambda v: not isinstance(v, str) or is_date_time(v))
        elif key == "required":
            checks.append(lambda v, names=tuple(arg): not isinstance(v, dict) or all(n in v for n in names))
        elif key == "properties":
            props = {name: _compile(sub) for name, sub in arg.items()}
            checks.append(lambda v, props=props: not isinstance(v, dict) or all(check(v[name]) for name, check in props.items() if name in v))
        elif key == "additionalProperties":
            known = frozenset((schema.get("properties") or {}).keys())
            if "patternProperties" in schema:
                raise _Unsupported("patternProperties")
            extra = _compile(arg)
            checks.append(lambda v, known=known, extra=extra: not isinstance(v, dict) or all(extra(v[k]) for k in v if k not in known))
        elif key == "items":
            if "prefixItems" in schema:
                raise _Unsupported("prefixItems")
            item = _compile(arg)
            checks.append(lambda v, item=item: not isinstance(v, list) or all(item(x) for x in v))
        elif key == "minItems":
            checks.append(lambda v, n=arg: not isinstance(v, list) or len(v) >= n)
        elif key == "maxItems":
            checks.append(lambda v, n=arg: not isinstance(v, list) or len(v) <= n)
        elif key in ("allOf", "anyOf", "oneOf"):
            subs = tuple(_compile(sub) for sub in arg)
            if key == "allOf":
                checks.append(lambda v, subs=subs: all(c(v) for c in subs))
            elif key == "anyOf":
                checks.append(lambda v, subs=subs: any(c(v) for c in subs))
            else:
                checks.append(lambda v, subs=subs: sum(1 for c in subs if c(v)) == 1)
        elif key == "if":
            cond = _compile(arg)
            then = _compile(schema["then"]) if "then" in schema else None
            otherwise = _compile(schema["else"]) if "else" in schema else None
            checks.append(lambda v, cond=cond, then=then, otherwise=otherwise:
                          (then is None or then(v)) if cond(v) else (otherwise is None or otherwise(v)))
        else:
            raise _Unsupported(key)
    checks_t = tuple(checks)
    if not checks_t:
        return lambda value: True
    if len(checks_t) == 1:
        return checks_t[0]
    return lambda value: all(c(value) for c in checks_t)


@functools.lru_cache(maxsize=None)
def valid_verdict(name: str) -> Any:
    """value → True when schemas/<name>.schema.json accepts it, else False (raising _Unsure for a
    value no JSON parser makes); None when the schema uses a keyword not compiled here."""
    try:
        return _compile(validator(name).schema)
    except _Unsupported:
        return None
