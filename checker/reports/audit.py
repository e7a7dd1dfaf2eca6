"""Writers for an audit report: text, json, junit, html. One small class per format."""
from __future__ import annotations

import html
import json
import re
from typing import Any
from xml.sax.saxutils import escape as _escape, quoteattr as _quoteattr

import orjson

from .check import terminal_safe

# Characters XML 1.0 cannot hold at all, even escaped (C0 controls but tab and newlines, U+FFFE,
# U+FFFF): shown as visible escapes, so a log line holding one still gives a well-formed report.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), text)


def xml_escape(text: str) -> str:
    return _escape(_xml_text(text))


def quoteattr(text: str) -> str:
    return _quoteattr(_xml_text(text))


def policy_changed_line(report: dict[str, Any]) -> str | None:
    """One line when this run's policy differs from the previous run's on the same state store."""
    previous = report["policy"].get("previous_digest")
    if not previous:
        return None
    return f"The policy changed since the previous run on this state store: was {previous}, now {report['policy']['digest']}"


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
            out.append(f"  [{f['effect']}] {s(f['rule'])}  event {s(f['event_id'])}  image {s(f.get('image_id') or '-')}  patient {s(f.get('patient_id') or '-')}  actor {s(f.get('actor_id') or '-')} ({s(f.get('role') or '-')})")
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

    def render(self, report: dict[str, Any]) -> str:
        try:  # orjson: the same bytes as json.dumps(sort_keys, indent=2) here, ~15x sooner
            return orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return json.dumps(report, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


class JUnitAuditReporter:
    """A testsuite per rule, a failing testcase per finding (warnings pass, marked as such)."""

    name = "junit"
    binary = False

    def render(self, report: dict[str, Any]) -> str:
        by_rule: dict[str, list[dict[str, Any]]] = {}
        for f in report["findings"]:
            by_rule.setdefault(f["rule"], []).append(f)
        # The policy that decided, as properties of every suite (where JUnit keeps them).
        props = "".join(
            f"<property name={quoteattr('policy.' + key)} value={quoteattr(str(report['policy'][key]))}/>"
            for key in ("version", "digest", "previous_digest") if key in report["policy"]
        )
        properties = f"    <properties>{props}</properties>\n"
        suites = []
        total_failures = 0
        for rule in sorted(by_rule):
            cases = []
            failures = 0
            for f in by_rule[rule]:
                name = quoteattr(f"{f['event_id']}")
                body = xml_escape(f"{f['message']}\nRemedy: {f.get('remedy', '')}\nImage: {f.get('image_id')} Patient: {f.get('patient_id')} Actor: {f.get('actor_id')} ({f.get('role')})")
                if f["effect"] == "warn":
                    cases.append(f"    <testcase classname={quoteattr(rule)} name={name}><system-out>{body}</system-out></testcase>")
                else:
                    failures += 1
                    cases.append(f"    <testcase classname={quoteattr(rule)} name={name}><failure type={quoteattr(f['effect'])} message={quoteattr(f['message'])}>{body}</failure></testcase>")
            total_failures += failures
            suites.append(f"  <testsuite name={quoteattr(rule)} tests=\"{len(cases)}\" failures=\"{failures}\" errors=\"0\">\n" + properties + "\n".join(cases) + "\n  </testsuite>")
        if report["engine_errors"]:
            cases = [f"    <testcase classname=\"engine_error\" name={quoteattr(e['event_id'])}><error message={quoteattr(e['reason'])}/></testcase>" for e in report["engine_errors"]]
            suites.append(f"  <testsuite name=\"engine_error\" tests=\"{len(cases)}\" failures=\"0\" errors=\"{len(cases)}\">\n" + properties + "\n".join(cases) + "\n  </testsuite>")
        changed = policy_changed_line(report)
        if changed:  # said even when nothing was found: a passing case in a suite of its own
            suites.append(f"  <testsuite name=\"policy.changed\" tests=\"1\" failures=\"0\" errors=\"0\">\n{properties}"
                          f"    <testcase classname=\"policy.changed\" name=\"policy\"><system-out>{xml_escape(changed)}</system-out></testcase>\n  </testsuite>")
        tests = len(report["findings"]) + len(report["engine_errors"]) + (1 if changed else 0)
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="clinimg audit" tests="{tests}" failures="{total_failures}" errors="{len(report["engine_errors"])}">'
        return head + "\n" + "\n".join(suites) + ("\n" if suites else "") + "</testsuites>\n"


class HtmlAuditReporter:
    """One self-contained page: no external assets, every input string escaped."""

    name = "html"
    binary = False

    def render(self, report: dict[str, Any]) -> str:
        e = lambda v: html.escape("" if v is None else str(v), quote=True)  # noqa: E731
        summary = report["summary"]
        rows = "".join(f"<tr><td>{e(rule)}</td><td>{n}</td></tr>" for rule, n in summary["by_rule"].items())
        effects = " · ".join(f"{e(k)}: {n}" for k, n in summary["by_effect"].items()) or "none"
        groups: dict[str, list[dict[str, Any]]] = {}
        for f in report["findings"]:
            groups.setdefault(f["rule"], []).append(f)
        sections = []
        for rule, items in groups.items():
            trs = "".join(
                f"<tr class='{e(f['effect'])}'><td>{e(f['effect'])}</td><td>{e(f['event_id'])}</td><td>{e(f.get('image_id'))}</td>"
                f"<td>{e(f.get('patient_id'))}</td><td>{e(f.get('actor_id'))} ({e(f.get('role'))})</td><td>{e(f.get('facility'))}</td>"
                f"<td>{e(f['message'])}<br><small>Instead: {e(f.get('remedy'))}</small></td></tr>"
                for f in items
            )
            guide = e(items[0].get("guide"))
            sections.append(
                f"<section><h2>{e(rule)} <small>({len(items)}) — guide: {guide}</small></h2><table><thead><tr><th>effect</th><th>event</th><th>image</th>"
                f"<th>patient</th><th>actor</th><th>facility</th><th>message</th></tr></thead><tbody>{trs}</tbody></table></section>"
            )
        invalid = "".join(f"<li>{e(p['file'])}:{e(p['line'])}: {e(p['reason'])}</li>" for p in report["invalid"])
        errors = "".join(f"<li>{e(x['event_id'])}: {e(x['reason'])}</li>" for x in report["engine_errors"])
        c = report["counts"]
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>clinimg audit {e(report['as_of'])}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}
tr.deny td:first-child{{color:#a00;font-weight:bold}}tr.escalate td:first-child{{color:#a60}}tr.warn td:first-child{{color:#666}}small{{color:#555}}</style></head>
<body><h1>clinimg audit — as of {e(report['as_of'])}</h1>
{f"<p><strong>{e(policy_changed_line(report))}</strong></p>" if policy_changed_line(report) else ""}
<p>Lines read {c['read']} = decided {c['decided']} + invalid {c['invalid']} + duplicate {c['duplicate']}. Findings: {len(report['findings'])} ({effects}). Engine errors: {len(report['engine_errors'])}.</p>
<h2>Summary by rule</h2><table><thead><tr><th>rule</th><th>findings</th></tr></thead><tbody>{rows}</tbody></table>
{''.join(sections)}
{'<h2>Invalid lines</h2><ul>' + invalid + '</ul>' if invalid else ''}
{'<h2>Engine errors (not decided, not permitted)</h2><ul>' + errors + '</ul>' if errors else ''}
<p><small>Policy {e(report['policy']['version'])} {e(report['policy']['digest'])}</small></p>
</body></html>
"""


AUDIT_REPORTER_BY_NAME = {cls.name: cls for cls in (TextAuditReporter, JsonAuditReporter, JUnitAuditReporter, HtmlAuditReporter)}
