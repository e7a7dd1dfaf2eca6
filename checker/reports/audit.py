"""Writers for an audit report: text, json, junit, html. One small class per format."""
from __future__ import annotations

import io
import json
import re
from typing import IO, Any
from xml.sax.saxutils import escape as _escape, quoteattr as _quoteattr

import orjson

from ..audit.findings import json_chunks
from .audit_html import HtmlAuditReporter, late_events_line, policy_changed_line
from .check import WAIVER_STATUS, terminal_safe
from .fhir import FhirAuditReporter

# Characters XML 1.0 cannot hold at all, even escaped (C0 controls but tab and newlines, U+FFFE,
# U+FFFF): shown as visible escapes, so a log line holding one still gives a well-formed report.
# So are C1 controls, line separators and bidi overrides from the input (as in the text report):
# a CI page or terminal showing the JUnit would otherwise turn an id around or break its line.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\u200a\u2010-\u2027\u202f-\u2065\u206a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), text)


def xml_escape(text: str) -> str:
    return _escape(_xml_text(text))


def quoteattr(text: str) -> str:
    return _quoteattr(_xml_text(text))


def _counts_line(report: dict[str, Any]) -> str:
    c = report["counts"]
    return f"read {c['read']} = decided {c['decided']} + invalid {c['invalid']} + duplicate {c['duplicate']}"


class _AuditReporter:
    """A report format: `write` puts the report on a binary stream (the JSON, text and JUnit
    reports stream their findings, which may be millions); `render` gives it as text."""

    name = ""
    binary = False

    def render(self, report: dict[str, Any]) -> str:
        buffer = io.BytesIO()
        self.write(report, buffer)
        return buffer.getvalue().decode("utf-8")

    def write(self, report: dict[str, Any], out: IO[bytes]) -> None:
        raise NotImplementedError


class _Lines:
    """Lines of text to a binary stream, in UTF-8, written in blocks."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.pending = out, []  # type: ignore[var-annotated]

    def add(self, line: str) -> None:
        self.pending.append(line)
        if len(self.pending) >= 4096:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.out.write(("\n".join(self.pending) + "\n").encode("utf-8"))
            self.pending = []


class TextAuditReporter(_AuditReporter):
    name = "text"

    def write(self, report: dict[str, Any], out: IO[bytes]) -> None:
        s = terminal_safe
        lines = _Lines(out)
        emit = lines.add
        emit(f"clinimg audit as of {report['as_of']}: {len(report['findings'])} finding(s); {_counts_line(report)}")
        changed = policy_changed_line(report)
        if changed:
            emit(changed)
        late = late_events_line(report)
        if late:
            emit(late)
        if report["engine_errors"]:
            emit(f"ENGINE ERRORS: {len(report['engine_errors'])} event(s) could not be decided (not permitted — re-run or investigate)")
        summary = report["summary"]
        for title, key in (("By rule", "by_rule"), ("By effect", "by_effect"), ("By facility", "by_facility"), ("By role", "by_role")):
            if summary[key]:
                emit("")
                emit(f"{title}:")
                width = max(len(k) for k in summary[key])
                for k, n in summary[key].items():
                    emit(f"  {s(k):<{width}}  {n}")
        if report["findings"]:
            emit("")
            emit("Findings:")
        for f in report["findings"]:
            emit(f"  [{f['effect']}] {s(f['rule'])}  event {s(f['event_id'])} at {s(f.get('occurred_at') or '-')}  image {s(f.get('image_id') or '-')}  patient {s(f.get('patient_id') or '-')}  actor {s(f.get('actor_id') or '-')} ({s(f.get('role') or '-')})")
            emit(f"      {s(f['message'])}")
            if f.get("remedy"):
                emit(f"      Instead: {s(f['remedy'])}")
        if report["invalid"]:
            emit("")
            emit("Invalid lines (not decided):")
            for p in report["invalid"]:
                emit(f"  {s(p['file'])}:{p['line']}: {s(p['reason'])}")
        if report["duplicates"]:
            emit("")
            emit(f"Duplicate event ids (already decided, skipped): {len(report['duplicates'])}")
            for d in report["duplicates"][:50]:
                emit(f"  {s(d['file'])}:{d['line']}: {s(d['event_id'])}")  # (the reason is the section's title)
        for e in report["engine_errors"]:
            emit(f"  engine_error: event {s(e['event_id'])} ({s(e.get('file') or '-')}:{e.get('line') or '-'}): {s(e['reason'])}")
        if report.get("waivers"):  # (a report kept by an older clinimg has none)
            emit("")
            emit("Waivers of the overlay that met a finding:")
            for w in report["waivers"]:
                emit(f"  {WAIVER_STATUS.get(w['status'], s(str(w['status'])))}: {s(w['rule'])}  event {s(w['event_id'])}  (approved by {s(w['approved_by'])})")
        if report.get("unused_waivers"):  # (a report kept by an older clinimg has none)
            emit("")
            emit("Waivers of the overlay that met no finding (mistyped, stale, or for an event of another night):")
            for w in report["unused_waivers"]:
                emit(f"  waiver met no finding: {s(w['rule'])}  event {s(w['event_id'])}  (approved by {s(w['approved_by'])}, expires {s(str(w['expires']))})")
        emit("")
        emit(f"Policy {report['policy']['version']} {report['policy']['digest']}")
        lines.flush()


class JsonAuditReporter(_AuditReporter):
    name = "json"

    # Only the HTML page shows when the run started and the trend across runs: the JSON report of
    # the same night is the same bytes however often, and however many processes, it is audited.
    HTML_ONLY = ("run", "trend")

    def write(self, report: dict[str, Any], out: IO[bytes]) -> None:
        report = {k: v for k, v in report.items() if k not in self.HTML_ONLY}
        try:  # orjson: the same bytes as json.dumps(sort_keys, indent=2) here, ~15x sooner
            for chunk in json_chunks(report, indent=True):  # (findings one at a time)
                out.write(chunk)
            out.write(b"\n")
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits (raised before any byte is written)
            whole = {**report, "findings": list(report["findings"])}
            out.write((json.dumps(whole, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


class JUnitAuditReporter(_AuditReporter):
    """SPEC §5: one testcase per rule of the policy in force (passing when it found nothing), a
    <failure> per deny/escalate finding inside its rule's testcase (warnings are listed in the
    testcase's system-out and do not fail it), and two more testcases: invalid lines (failing when
    there are any) and engine errors (an <error> per event left undecided)."""

    name = "junit"

    def write(self, report: dict[str, Any], out: IO[bytes]) -> None:
        # Findings come in report order (by rule first) and may be millions: a first look counts
        # which rules fail (the header says how many), the second writes each rule's testcase
        # as its findings come; the rules in force without findings pass.
        findings = report["findings"]
        failing_rules: set[str] = set()
        found_rules: set[str] = set()
        for f in findings:
            found_rules.add(f["rule"])
            if f["effect"] != "warn":
                failing_rules.add(f["rule"])
        rules = sorted({r["id"] for r in report.get("rules") or ()} | found_rules)
        failures = len(failing_rules)
        invalid = report["invalid"]
        errors = report["engine_errors"]
        failures += bool(invalid)
        tests = len(rules) + 2
        changed = policy_changed_line(report)
        c = report["counts"]
        props = "".join(f"      <property name={quoteattr(k)} value=\"{c[k]}\"/>\n" for k in ("read", "decided", "invalid", "duplicate"))
        props += f"      <property name=\"as_of\" value={quoteattr(report['as_of'])}/>\n"
        if report.get("late_events"):
            props += f"      <property name=\"late_events\" value=\"{int(report['late_events']['count'])}\"/>\n"
        # The policy that decided (and the previous run's, when it differs).
        props += "".join(
            f"      <property name={quoteattr('policy.' + key)} value={quoteattr(str(report['policy'][key]))}/>\n"
            for key in ("version", "digest", "previous_digest") if key in report["policy"]
        )
        # Each waiver that met a finding: applied (that finding is not in the report) or not.
        waiver_props = "".join(
            f"      <property name=\"waiver\" value={quoteattr(' '.join(str(w[k]) for k in ('status', 'rule', 'event_id', 'approved_by')))}/>\n"
            for w in report.get("waivers") or ()
        ) + "".join(  # and each that met none
            f"      <property name=\"unused_waiver\" value={quoteattr(' '.join(str(w[k]) for k in ('rule', 'event_id', 'approved_by', 'expires')))}/>\n"
            for w in report.get("unused_waivers") or ()
        )
        lines = _Lines(out)
        emit = lines.add
        error_flag = 1 if errors else 0
        emit(f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="clinimg audit" tests="{tests + bool(changed)}" failures="{failures}" errors="{error_flag}">')
        emit(f'  <testsuite name="clinimg audit" tests="{tests}" failures="{failures}" errors="{error_flag}">\n    <properties>\n{props}{waiver_props}    </properties>')
        stream = iter(findings)
        ahead = next(stream, None)
        for rule in rules:
            head = f"    <testcase classname={quoteattr(rule.split('.')[0])} name={quoteattr(rule)}"
            warned = []
            opened = False
            while ahead is not None and ahead["rule"] == rule:
                f, ahead = ahead, next(stream, None)
                body = xml_escape(
                    f"{f['message']}\nRemedy: {f.get('remedy', '')}\nEvent: {f['event_id']} at {f.get('occurred_at') or '-'}"
                    f"\nImage: {f.get('image_id') or '-'} Patient: {f.get('patient_id') or '-'} Actor: {f.get('actor_id') or '-'} ({f.get('role') or '-'}) Facility: {f.get('facility') or '-'}"
                )
                if f["effect"] == "warn":
                    warned.append(f"warn {body}")
                    continue
                if not opened:
                    emit(head + ">")
                    opened = True
                summary_line = f"{f['event_id']}: {f['message']}"
                emit(f"      <failure type={quoteattr(f['effect'])} message={quoteattr(summary_line)}>{body}</failure>")
            if warned:
                if not opened:
                    emit(head + ">")
                    opened = True
                emit(f"      <system-out>{chr(10).join(warned)}</system-out>")
            emit("    </testcase>" if opened else head + "/>")
        if invalid:
            listing = xml_escape("\n".join(f"{p['file']}:{p['line']}: {p['reason']}" for p in invalid))
            emit(f"    <testcase classname=\"audit\" name=\"invalid lines\">\n      <failure type=\"invalid\" message=\"{len(invalid)} line(s) not decided\">{listing}</failure>\n    </testcase>")
        else:
            emit("    <testcase classname=\"audit\" name=\"invalid lines\"/>")
        if errors:
            inner = "\n".join(f"      <error type=\"engine_error\" message={quoteattr(e['event_id'] + ': ' + e['reason'])}/>" for e in errors)
            emit(f"    <testcase classname=\"audit\" name=\"engine errors\">\n{inner}\n    </testcase>")
        else:
            emit("    <testcase classname=\"audit\" name=\"engine errors\"/>")
        emit("  </testsuite>")
        if changed:  # said even when nothing was found: a passing testcase in a suite of its own
            emit(f'  <testsuite name="policy.changed" tests="1" failures="0" errors="0">\n    <properties>\n{props}    </properties>\n'
                 f'    <testcase classname="policy.changed" name="policy"><system-out>{xml_escape(changed)}</system-out></testcase>\n  </testsuite>')
        emit("</testsuites>")
        lines.flush()


AUDIT_REPORTER_BY_NAME = {cls.name: cls for cls in (TextAuditReporter, JsonAuditReporter, JUnitAuditReporter, HtmlAuditReporter, FhirAuditReporter)}
