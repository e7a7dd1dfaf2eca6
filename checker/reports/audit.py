"""Writers for an audit report: text, json, junit, html. One small class per format."""
from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape as _escape, quoteattr as _quoteattr

import orjson

from .audit_html import HtmlAuditReporter, policy_changed_line
from .check import terminal_safe
from .fhir import FhirAuditReporter

# Characters XML 1.0 cannot hold at all, even escaped (C0 controls but tab and newlines, U+FFFE,
# U+FFFF): shown as visible escapes, so a log line holding one still gives a well-formed report.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), text)


def xml_escape(text: str) -> str:
    return _escape(_xml_text(text))


def quoteattr(text: str) -> str:
    return _quoteattr(_xml_text(text))


def _counts_line(report: dict[str, Any]) -> str:
    c = report["counts"]
    return f"read {c['read']} = decided {c['decided']} + invalid {c['invalid']} + duplicate {c['duplicate']}"


class TextAuditReporter:
    name = "text"
    binary = False

    def render(self, report: dict[str, Any]) -> str:
        s = terminal_safe
        out = [f"clinimg audit as of {report['as_of']}: {len(report['findings'])} finding(s); {_counts_line(report)}"]
        changed = policy_changed_line(report)
        if changed:
            out.append(changed)
        if report["engine_errors"]:
            out.append(f"ENGINE ERRORS: {len(report['engine_errors'])} event(s) could not be decided (not permitted — re-run or investigate)")
        summary = report["summary"]
        for title, key in (("By rule", "by_rule"), ("By effect", "by_effect"), ("By facility", "by_facility"), ("By role", "by_role")):
            if summary[key]:
                out.append("")
                out.append(f"{title}:")
                width = max(len(k) for k in summary[key])
                for k, n in summary[key].items():
                    out.append(f"  {s(k):<{width}}  {n}")
        if report["findings"]:
            out.append("")
            out.append("Findings:")
        for f in report["findings"]:
            out.append(f"  [{f['effect']}] {s(f['rule'])}  event {s(f['event_id'])} at {s(f.get('occurred_at') or '-')}  image {s(f.get('image_id') or '-')}  patient {s(f.get('patient_id') or '-')}  actor {s(f.get('actor_id') or '-')} ({s(f.get('role') or '-')})")
            out.append(f"      {s(f['message'])}")
            if f.get("remedy"):
                out.append(f"      Instead: {s(f['remedy'])}")
        if report["invalid"]:
            out.append("")
            out.append("Invalid lines (not decided):")
            for p in report["invalid"]:
                out.append(f"  {s(p['file'])}:{p['line']}: {s(p['reason'])}")
        if report["duplicates"]:
            out.append("")
            out.append(f"Duplicate event ids (already decided, skipped): {len(report['duplicates'])}")
            for d in report["duplicates"][:50]:
                out.append(f"  {s(d['file'])}:{d['line']}: {s(d['event_id'])}")
        for e in report["engine_errors"]:
            out.append(f"  engine_error: event {s(e['event_id'])} ({s(e.get('file') or '-')}:{e.get('line') or '-'}): {s(e['reason'])}")
        out.append("")
        out.append(f"Policy {report['policy']['version']} {report['policy']['digest']}")
        return "\n".join(out) + "\n"


class JsonAuditReporter:
    name = "json"
    binary = False

    # Only the HTML page shows when the run started and the trend across runs: the JSON report of
    # the same night is the same bytes however often, and however many processes, it is audited.
    HTML_ONLY = ("run", "trend")

    def render(self, report: dict[str, Any]) -> str:
        report = {k: v for k, v in report.items() if k not in self.HTML_ONLY}
        try:  # orjson: the same bytes as json.dumps(sort_keys, indent=2) here, ~15x sooner
            return orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return json.dumps(report, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


class JUnitAuditReporter:
    """SPEC §5: one testcase per rule of the policy in force (passing when it found nothing), a
    <failure> per deny/escalate finding inside its rule's testcase (warnings are listed in the
    testcase's system-out and do not fail it), and two more testcases: invalid lines (failing when
    there are any) and engine errors (an <error> per event left undecided)."""

    name = "junit"
    binary = False

    def render(self, report: dict[str, Any]) -> str:
        by_rule: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in report.get("rules") or ()}
        for f in report["findings"]:
            by_rule.setdefault(f["rule"], []).append(f)
        cases = []
        failures = 0
        for rule in sorted(by_rule):
            failing, warned = [], []
            for f in by_rule[rule]:
                body = xml_escape(
                    f"{f['message']}\nRemedy: {f.get('remedy', '')}\nEvent: {f['event_id']} at {f.get('occurred_at') or '-'}"
                    f"\nImage: {f.get('image_id') or '-'} Patient: {f.get('patient_id') or '-'} Actor: {f.get('actor_id') or '-'} ({f.get('role') or '-'}) Facility: {f.get('facility') or '-'}"
                )
                if f["effect"] == "warn":
                    warned.append(f"warn {body}")
                else:
                    summary_line = f"{f['event_id']}: {f['message']}"
                    failing.append(f"      <failure type={quoteattr(f['effect'])} message={quoteattr(summary_line)}>{body}</failure>")
            failures += bool(failing)
            inner = failing + ([f"      <system-out>{chr(10).join(warned)}</system-out>"] if warned else [])
            head = f"    <testcase classname={quoteattr(rule.split('.')[0])} name={quoteattr(rule)}"
            cases.append(head + (">\n" + "\n".join(inner) + "\n    </testcase>" if inner else "/>"))
        invalid = report["invalid"]
        if invalid:
            listing = xml_escape("\n".join(f"{p['file']}:{p['line']}: {p['reason']}" for p in invalid))
            cases.append(f"    <testcase classname=\"audit\" name=\"invalid lines\">\n      <failure type=\"invalid\" message=\"{len(invalid)} line(s) not decided\">{listing}</failure>\n    </testcase>")
            failures += 1
        else:
            cases.append("    <testcase classname=\"audit\" name=\"invalid lines\"/>")
        errors = report["engine_errors"]
        if errors:
            inner = "\n".join(f"      <error type=\"engine_error\" message={quoteattr(e['event_id'] + ': ' + e['reason'])}/>" for e in errors)
            cases.append(f"    <testcase classname=\"audit\" name=\"engine errors\">\n{inner}\n    </testcase>")
        else:
            cases.append("    <testcase classname=\"audit\" name=\"engine errors\"/>")
        c = report["counts"]
        props = "".join(f"      <property name={quoteattr(k)} value=\"{c[k]}\"/>\n" for k in ("read", "decided", "invalid", "duplicate"))
        props += f"      <property name=\"as_of\" value={quoteattr(report['as_of'])}/>\n"
        # The policy that decided (and the previous run's, when it differs).
        props += "".join(
            f"      <property name={quoteattr('policy.' + key)} value={quoteattr(str(report['policy'][key]))}/>\n"
            for key in ("version", "digest", "previous_digest") if key in report["policy"]
        )
        attrs = f'tests="{len(cases)}" failures="{failures}" errors="{1 if errors else 0}"'
        suites = f'  <testsuite name="clinimg audit" {attrs}>\n    <properties>\n{props}    </properties>\n' + "\n".join(cases) + "\n  </testsuite>\n"
        tests = len(cases)
        changed = policy_changed_line(report)
        if changed:  # said even when nothing was found: a passing testcase in a suite of its own
            tests += 1
            suites += (f'  <testsuite name="policy.changed" tests="1" failures="0" errors="0">\n    <properties>\n{props}    </properties>\n'
                       f'    <testcase classname="policy.changed" name="policy"><system-out>{xml_escape(changed)}</system-out></testcase>\n  </testsuite>\n')
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="clinimg audit" tests="{tests}" failures="{failures}" errors="{1 if errors else 0}">\n'
            + suites + "</testsuites>\n"
        )


AUDIT_REPORTER_BY_NAME = {cls.name: cls for cls in (TextAuditReporter, JsonAuditReporter, JUnitAuditReporter, HtmlAuditReporter, FhirAuditReporter)}
