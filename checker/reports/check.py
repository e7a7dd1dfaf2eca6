"""Writers for one decision (`clinimg check`)."""
from __future__ import annotations

import json
import re
import textwrap
from typing import Any

_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
# (a page — the audit's HTML report — keeps its line feeds: HTML does not start a line at them)
_UNSAFE_BUT_LINE_FEEDS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def terminal_safe(text: Any, *, keep_line_feeds: bool = False) -> str:
    """Free text made safe for a terminal: control and bidi characters shown escaped — line
    breaks too (\n, U+2028, U+2029): every caller writes one line, and an id holding a line break
    wrote a line of its own into the report (a forged `[deny]` line, or a finding's tail hidden)."""
    unsafe = _UNSAFE_BUT_LINE_FEEDS if keep_line_feeds else _UNSAFE
    return unsafe.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100 else "\\u%04x" % ord(m.group()), str(text))


HEADLINE = {
    "permit": "PERMIT — you may go ahead.",
    "deny": "DENY — do not go ahead.",
    "escalate": "ESCALATE — seek advice from hospital management or your medical defence organisation before going ahead.",
}
MARK = {"deny": "✗", "escalate": "!", "warn": "~"}



# How a decision's waiver status reads, in check's and audit's text reports (SPEC §4).
WAIVER_STATUS = {"applied": "waiver applied", "expired": "waiver NOT applied: expired",
                 "self_approved": "waiver NOT applied: approved by the event's own actor"}

class TextCheckReporter:
    name = "text"

    def render(self, decision: dict[str, Any]) -> str:
        wrap = lambda s, indent: textwrap.fill(terminal_safe(s), width=100, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
        basis = decision.get("basis") or "none"
        out = [f"{HEADLINE[decision['outcome']]} (basis: {basis})"]
        findings = decision.get("findings", [])
        if findings:
            out.append("")
            out.append("Findings:")
        for f in findings:
            out.append(f"  {MARK.get(f['effect'], '-')} [{f['effect']}] {terminal_safe(f['rule'])}")
            out.append(wrap(f.get("message", ""), "      "))
            if f.get("guide"):
                out.append(wrap(f"Guide: {f['guide']}", "      "))
            if f.get("remedy"):
                out.append(wrap(f"Instead: {f['remedy']}", "      "))
        if decision.get("obligations"):
            out.append("")
            out.append("You must still:")
            for o in decision["obligations"]:
                out.append(wrap(f"• {o['text']} ({o['id']})", "  "))
        for w in decision.get("waivers", []):
            out.append("")
            status = WAIVER_STATUS[w["status"]]
            out.append(f"  {status}: {terminal_safe(w['rule'])} (approved by {terminal_safe(w['approved_by'])})")
        policy = decision.get("policy") or {}
        out.append("")
        out.append(f"Policy {policy.get('version', '?')} {policy.get('digest', '')}")
        return "\n".join(out) + "\n"


class JsonCheckReporter:
    name = "json"

    def render(self, decision: dict[str, Any]) -> str:
        return json.dumps(decision, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


from .fhir import FhirCheckReporter  # noqa: E402 (the registry below names it)

CHECK_REPORTER_BY_NAME = {cls.name: cls for cls in (TextCheckReporter, JsonCheckReporter, FhirCheckReporter)}
