"""The audit report as one HTML page for a hospital's privacy officer (SPEC §5, issue 14).

Self-contained: no script, no external asset (the Content-Security-Policy says so), inline CSS and
an inline SVG chart; every string from the input is escaped. Times are shown in the hospital's
time zone: the overlay's `timezone` (an IANA name), else the offset most of the findings' events
were written with, else UTC.

Sections: header (run, as-of, period, counts, findings by effect) · summaries by rule, facility and
role (each entry links to its findings) · who must act (per facility, then per actor, most urgent
first) · findings grouped by rule (guide section, passage and remedy once per rule) · findings by
role · trend across the store's runs · invalid lines and engine errors.
"""
from __future__ import annotations

import collections
import datetime
import hashlib
import html
import re
from typing import IO, Any

from .check import WAIVER_STATUS, terminal_safe

EFFECT_RANK = {"deny": 0, "escalate": 1, "warn": 2}
# What each effect asks of the actor, and by when (the report has no deadline of its own).
WHEN = {
    "deny": "now: stop, and put it right",
    "escalate": "before the image is used again: seek advice from management or your medical defence organisation",
    "warn": "at the next review",
}
COLOURS = {"deny": "#b00020", "escalate": "#b25e00", "warn": "#6b6b6b"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:78em;padding:0 1em;color:#1d1d1d}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.4em 0 1.2em;width:100%}td,th{border:1px solid #d0d0d0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.deny{color:#b00020;font-weight:600}.escalate{color:#b25e00;font-weight:600}.warn{color:#555}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.6em 0}.meta dt{font-weight:600}.meta dd{margin:0}
.summaries{display:grid;grid-template-columns:repeat(auto-fit,minmax(18em,1fr));gap:1em}
.card{border:1px solid #d0d0d0;border-radius:6px;padding:.4em 1em;margin:.6em 0;break-inside:avoid}
blockquote{margin:.3em 0;padding:.2em .8em;border-left:4px solid #c9d6e8;background:#f6f8fb}
.remedy{background:#f3faf3;border-left:4px solid #9ccc9c;padding:.2em .8em}
.alert{background:#fdecea;border:1px solid #b00020;padding:.5em 1em;border-radius:6px}
small,.muted{color:#555}a{color:#0645ad}
:target{outline:3px solid #ffbf47;outline-offset:2px}
@media print{body{margin:0;max-width:none;font-size:11px}a{color:inherit;text-decoration:none}h2{break-after:avoid}
tr,.card{break-inside:avoid}nav{display:none}}
""".strip()


def policy_changed_line(report: dict[str, Any]) -> str | None:
    """One line when this run's policy differs from the previous run's on the same state store."""
    previous = report["policy"].get("previous_digest")
    if not previous:
        return None
    return f"The policy changed since the previous run on this state store: was {previous}, now {report['policy']['digest']}"


def late_events_line(report: dict[str, Any]) -> str | None:
    """One line when this run held events older than what earlier runs on the store decided."""
    late = report.get("late_events")
    if not late:
        return None
    return (f"LATE EVENTS: {late['count']} event(s) of this run are older than the latest event earlier runs on this state store decided "
            f"({late['before']}): they and the later events already decided were not decided in time order, so findings that depend on "
            "their order may be missing or wrong — audit the whole period again into a new --state to be sure")


def esc(value: Any) -> str:
    # Control characters (but tab and line feed) and bidi overrides from the input shown escaped,
    # as the text report shows them: raw, an ESC sequence in an event id reached a terminal that
    # `cat`s the page, and U+202E turned the ids after it around on screen.
    return html.escape(terminal_safe("" if value is None else value, keep_line_feeds=True), quote=True)


def anchor(kind: str, value: Any) -> str:
    """A fragment id for a rule, facility, role or actor: readable where the value is, and unique
    (a hash of the exact value) whatever the input holds."""
    text = "" if value is None else str(value)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:40].strip("-") or "x"
    return f"{kind}-{slug}-{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"



class _Clock:
    """Times in the hospital's zone: the overlay's IANA name, else the events' usual offset."""

    def __init__(self, zone_name: str | None, findings: list[dict[str, Any]]) -> None:
        self.zone: datetime.tzinfo = datetime.timezone.utc
        self.label = "UTC"
        if zone_name:
            import zoneinfo

            try:
                self.zone, self.label = zoneinfo.ZoneInfo(zone_name), zone_name
                return
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass
        offsets = collections.Counter(
            t[-6:] for t in (f.get("occurred_at") or "" for f in findings) if re.search(r"[+-]\d\d:\d\d$", t)
        )
        if offsets:
            offset = offsets.most_common(1)[0][0]
            sign = -1 if offset[0] == "-" else 1
            delta = datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
            self.zone, self.label = datetime.timezone(delta), f"UTC{offset} (the log's offset)"

    def show(self, value: Any) -> str:
        if not value:
            return "-"
        try:
            moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return esc(value)
        local = moment.astimezone(self.zone)
        return esc(local.strftime("%Y-%m-%d %H:%M") + (" " + local.tzname() if isinstance(self.zone, datetime.tzinfo) and local.tzname() and not local.tzname().startswith("UTC") else ""))


def _link(kind: str, key: str) -> str:
    return f"<a href='#{anchor(kind, key)}'>{esc(key)}</a>"


def _count_table(title: str, kind: str, counts: dict[str, int], link: bool = True) -> str:
    rows = "".join(
        f"<tr><td>{_link(kind, key) if link else esc(key)}</td><td class='n'>{n}</td></tr>"
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ) or "<tr><td colspan='2' class='muted'>none</td></tr>"
    return f"<section class='summary' aria-label='{esc(title)}'><h3>{esc(title)}</h3><table><thead><tr><th>{esc(kind)}</th><th>findings</th></tr></thead><tbody>{rows}</tbody></table></section>"


def _actor_anchor(f: dict[str, Any]) -> str:
    """Where an actor's card is in "who must act" (under the facility of the finding)."""
    return anchor("actor", f"{f.get('facility') or 'unknown'}/{f.get('actor_id') or 'unknown'}")


def _urgency(f: dict[str, Any]) -> tuple[Any, ...]:
    return (EFFECT_RANK.get(f["effect"], 3), f.get("occurred_at") or "", f["rule"], f["event_id"])


def _trend_svg(trend: list[dict[str, Any]]) -> str:
    """Stacked bars, one per run, findings by effect; a <title> per bar part (hover, screen readers)."""
    runs = trend[-30:]
    if not runs:
        return "<p class='muted'>No runs kept (audit with --state to follow the trend).</p>"
    totals = []
    for r in runs:
        by_effect: dict[str, int] = collections.Counter()
        for effects in r["by_rule_effect"].values():
            by_effect.update(effects)
        totals.append(by_effect)
    top = max([sum(t.values()) for t in totals] + [1])
    width, height, left, bottom = 60 + 40 * len(runs), 220, 44, 30
    plot = height - bottom - 10
    bar = 24
    parts = [f"<svg role='img' aria-labelledby='trend-title' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>",
             "<title id='trend-title'>Findings by effect, per run</title>",
             f"<line x1='{left}' y1='10' x2='{left}' y2='{10 + plot}' stroke='#888'/><line x1='{left}' y1='{10 + plot}' x2='{width - 6}' y2='{10 + plot}' stroke='#888'/>",
             f"<text x='{left - 6}' y='16' text-anchor='end' font-size='11'>{top}</text><text x='{left - 6}' y='{10 + plot}' text-anchor='end' font-size='11'>0</text>"]
    for i, (r, t) in enumerate(zip(runs, totals)):
        x = left + 10 + 40 * i
        y = 10 + plot
        for effect in ("warn", "escalate", "deny"):
            n = t.get(effect, 0)
            if not n:
                continue
            h = plot * n / top
            y -= h
            parts.append(f"<rect x='{x}' y='{y:.1f}' width='{bar}' height='{h:.1f}' fill='{COLOURS[effect]}'><title>run {esc(r['run'])}: {n} {effect}</title></rect>")
        parts.append(f"<text x='{x + bar / 2}' y='{height - 12}' text-anchor='middle' font-size='11'>{esc(r['run'])}</text>")
    parts.append("</svg>")
    legend = " ".join(f"<span style='color:{COLOURS[e]}'>■</span> {e}" for e in ("deny", "escalate", "warn"))
    rules = sorted({rule for r in runs for rule in r["by_rule_effect"]})
    head = "".join(f"<th>{esc(r['run'])}</th>" for r in runs)
    body = "".join(
        f"<tr><td>{esc(rule)}</td>" + "".join(f"<td class='n'>{sum(r['by_rule_effect'].get(rule, {}).values()) or ''}</td>" for r in runs) + "</tr>"
        for rule in rules
    )
    table = f"<table><thead><tr><th>rule \\ run</th>{head}</tr></thead><tbody>{body}</tbody></table>" if rules else ""
    return "".join(parts) + f"<p>{legend}</p>" + table


class HtmlAuditReporter:
    """One self-contained page: no external assets, every input string escaped."""

    name = "html"
    binary = False

    def write(self, report: dict[str, Any], out: "IO[bytes]") -> None:
        out.write(self.render(report).encode("utf-8"))

    def render(self, report: dict[str, Any]) -> str:
        # (a page a person reads: its findings are all in memory; the JSON, text and JUnit
        # reports stream theirs)
        findings: list[dict[str, Any]] = list(report["findings"])
        run = report.get("run") or {}
        clock = _Clock(run.get("timezone"), findings)
        rules = {r["id"]: r for r in report.get("rules") or ()}
        summary = report["summary"]
        c = report["counts"]
        effects = " · ".join(f"<span class='{esc(k)}'>{esc(k)}: {n}</span>" for k, n in summary["by_effect"].items()) or "none"
        period = run.get("period") or {}
        run_title = f" — run {esc(run['id'])}" if run.get("id") else ""
        period_text = f"{clock.show(period.get('from'))} – {clock.show(period.get('to'))}" if period.get("from") else "no events this run"
        out = [
            "<!DOCTYPE html>",
            "<html lang='en'><head><meta charset='utf-8'>",
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>clinimg audit {esc(report['as_of'])}</title><style>{CSS}</style></head><body>",
            f"<header><h1>Clinical images audit{run_title}</h1>",
            "<dl class='meta'>",
            f"<dt>As of</dt><dd>{clock.show(report['as_of'])}</dd>",
            f"<dt>Events of this run</dt><dd>{period_text}</dd>",
            f"<dt>Time zone</dt><dd>{esc(clock.label)}</dd>",
            f"<dt>Run started</dt><dd>{clock.show(run.get('started'))}</dd>",
            f"<dt>Logs</dt><dd>{esc(', '.join(report.get('files') or []))}</dd>",
            f"<dt>Lines</dt><dd>read {c['read']} = decided {c['decided']} + invalid {c['invalid']} + duplicate {c['duplicate']}</dd>",
            f"<dt>Findings</dt><dd><strong>{len(findings)}</strong> ({effects})</dd>",
            f"<dt>Engine errors</dt><dd>{len(report['engine_errors'])}</dd>",
            f"<dt>Policy</dt><dd>{esc(report['policy'].get('version'))} <small>{esc(report['policy'].get('digest'))}</small></dd>",
            "</dl>",
        ]
        changed = policy_changed_line(report)
        if changed:
            out.append(f"<p><strong>{esc(changed)}</strong></p>")
        if late_events_line(report):
            out.append(f"<p class='alert'>{esc(late_events_line(report))}</p>")
        if report["engine_errors"]:
            out.append(f"<p class='alert'><a href='#engine-errors'>{len(report['engine_errors'])} event(s) could not be decided</a>: not permitted — re-run or investigate.</p>")
        if c["decided"] + c["duplicate"] == 0:
            out.append("<p class='alert'>Nothing was audited: no valid event was read. This is not a clean night.</p>")
        out.append("</header>")
        out.append("<nav><a href='#act'>Who must act</a> · <a href='#by-rule'>Findings by rule</a> · <a href='#by-role'>Findings by role</a> · <a href='#trend'>Trend</a></nav>")

        out.append("<h2 id='summary'>Summary</h2><div class='summaries'>")
        out.append(_count_table("By rule", "rule", summary["by_rule"]))
        out.append(_count_table("By facility", "facility", summary["by_facility"]))
        out.append(_count_table("By role", "role", summary["by_role"]))
        out.append("</div>")

        # Who must act: per facility (for the privacy office), then per actor, most urgent first.
        out.append("<h2 id='act'>Who must act</h2>")
        if not findings:
            out.append("<p>Nobody: no finding this run.</p>")
        by_facility: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for f in findings:
            by_facility[f.get("facility") or "unknown"].append(f)
        for facility in sorted(by_facility, key=lambda k: (min(_urgency(f) for f in by_facility[k]), k)):
            items = by_facility[facility]
            tally = collections.Counter(f["effect"] for f in items)
            out.append(f"<section class='card' id='{anchor('facility', facility)}'><h3>Facility {esc(facility)} "
                       f"<small>{' · '.join(f'{n} {e}' for e, n in sorted(tally.items(), key=lambda kv: EFFECT_RANK.get(kv[0], 3)))}</small></h3>")
            by_actor: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
            for f in items:
                by_actor[(f.get("actor_id") or "unknown", f.get("role") or "unknown")].append(f)
            for (actor, role), acts in sorted(by_actor.items(), key=lambda kv: (min(_urgency(f) for f in kv[1]), kv[0])):
                acts = sorted(acts, key=_urgency)
                rows = "".join(
                    f"<tr><td class='{esc(f['effect'])}'>{esc(f['effect'])}</td><td>{esc(WHEN.get(f['effect'], ''))}</td>"
                    f"<td>{esc(f.get('remedy') or (rules.get(f['rule']) or {}).get('remedy'))}</td>"
                    f"<td><a href='#{anchor('rule', f['rule'])}'>{esc(f['rule'])}</a></td><td>{esc(f['event_id'])}<br><small>{clock.show(f.get('occurred_at'))}</small></td></tr>"
                    for f in acts
                )
                out.append(f"<h4 id='{_actor_anchor(acts[0])}'>{esc(actor)} <small>({esc(role)})</small></h4>"
                           f"<table><thead><tr><th>effect</th><th>by when</th><th>what to do</th><th>rule</th><th>event</th></tr></thead><tbody>{rows}</tbody></table>")
            out.append("</section>")

        # Findings by rule: the guide's section, passage and remedy once, then the events.
        out.append("<h2 id='by-rule'>Findings by rule</h2>")
        grouped: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for f in findings:
            grouped[f["rule"]].append(f)
        if not grouped:
            out.append("<p>No findings.</p>")
        for rule in sorted(grouped, key=lambda r: (min(_urgency(f) for f in grouped[r])[0], r)):
            items = sorted(grouped[rule], key=lambda f: (f.get("occurred_at") or "", f["event_id"]))
            meta = rules.get(rule) or {}
            first = items[0]
            out.append(f"<section id='{anchor('rule', rule)}'><h3>{esc(rule)} <small>{esc(meta.get('title'))} — {len(items)} finding(s)</small></h3>")
            out.append(f"<p><strong>Guide section:</strong> {esc(meta.get('section') or first.get('guide'))}</p>")
            if meta.get("passage"):
                out.append(f"<blockquote>{esc(meta['passage'])}</blockquote>")
            remedies = sorted({f.get("remedy") or "" for f in items} - {""}) or [meta.get("remedy") or ""]
            out.append("".join(f"<p class='remedy'><strong>Remedy:</strong> {esc(r)}</p>" for r in remedies if r))
            rows = "".join(
                f"<tr><td>{clock.show(f.get('occurred_at'))}</td><td class='{esc(f['effect'])}'>{esc(f['effect'])}</td><td>{esc(f['event_id'])}</td>"
                f"<td>{esc(f.get('image_id') or '-')}</td><td>{esc(f.get('patient_id') or '-')}</td>"
                f"<td><a href='#{_actor_anchor(f)}'>{esc(f.get('actor_id') or '-')}</a> <small>({esc(f.get('role') or '-')})</small></td>"
                f"<td>{esc(f.get('facility') or '-')}</td><td>{esc(f['message'])}</td></tr>"
                for f in items
            )
            out.append(f"<table><thead><tr><th>event time</th><th>effect</th><th>event</th><th>image</th><th>patient</th><th>actor</th><th>facility</th><th>message</th></tr></thead><tbody>{rows}</tbody></table></section>")

        out.append("<h2 id='by-role'>Findings by role</h2>")
        by_role: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for f in findings:
            by_role[f.get("role") or "unknown"].append(f)
        if not by_role:
            out.append("<p>No findings.</p>")
        for role in sorted(by_role):
            rows = "".join(
                f"<tr><td>{clock.show(f.get('occurred_at'))}</td><td class='{esc(f['effect'])}'>{esc(f['effect'])}</td>"
                f"<td><a href='#{anchor('rule', f['rule'])}'>{esc(f['rule'])}</a></td><td>{esc(f['event_id'])}</td><td>{esc(f.get('actor_id') or '-')}</td><td>{esc(f.get('facility') or '-')}</td></tr>"
                for f in sorted(by_role[role], key=_urgency)
            )
            out.append(f"<section id='{anchor('role', role)}'><h3>{esc(role)} <small>{len(by_role[role])} finding(s)</small></h3>"
                       f"<table><thead><tr><th>event time</th><th>effect</th><th>rule</th><th>event</th><th>actor</th><th>facility</th></tr></thead><tbody>{rows}</tbody></table></section>")

        out.append("<h2 id='trend'>Trend across runs</h2>")
        out.append(_trend_svg(report.get("trend") or []))

        if report["invalid"]:
            items = "".join(f"<li>{esc(p['file'])}:{esc(p['line'])}: {esc(p['reason'])}</li>" for p in report["invalid"])
            out.append(f"<h2 id='invalid'>Invalid lines (not decided): {len(report['invalid'])}</h2><ul>{items}</ul>")
        if report["engine_errors"]:
            items = "".join(f"<li>{esc(x['event_id'])} ({esc(x.get('file') or '-')}:{esc(x.get('line') or '-')}): {esc(x['reason'])}</li>" for x in report["engine_errors"])
            out.append(f"<h2 id='engine-errors'>Engine errors (not decided, not permitted)</h2><ul>{items}</ul>")
        if report.get("waivers"):
            rows = "".join(f"<tr><td>{esc(WAIVER_STATUS.get(w['status'], w['status']))}</td><td>{esc(w['rule'])}</td><td>{esc(w['event_id'])}</td><td>{esc(w['approved_by'])}</td></tr>"
                           for w in report["waivers"])
            out.append("<h2 id='waivers'>Waivers of the overlay that met a finding</h2>"
                       f"<table><thead><tr><th>status</th><th>rule</th><th>event</th><th>approved by</th></tr></thead><tbody>{rows}</tbody></table>")
        if report.get("unused_waivers"):
            rows = "".join(f"<tr><td>{esc(w['rule'])}</td><td>{esc(w['event_id'])}</td><td>{esc(w['approved_by'])}</td><td>{esc(w['expires'])}</td></tr>"
                           for w in report["unused_waivers"])
            out.append("<h2 id='unused-waivers'>Waivers of the overlay that met no finding</h2>"
                       "<p class='muted'>Mistyped, stale, or for an event of another night: they waived nothing in this run.</p>"
                       f"<table><thead><tr><th>rule</th><th>event</th><th>approved by</th><th>expires</th></tr></thead><tbody>{rows}</tbody></table>")
        if report["duplicates"]:
            out.append(f"<p class='muted'>{len(report['duplicates'])} line(s) repeated an event already decided and were skipped.</p>")
        out.append(f"<footer><p><small>clinimg {esc(report['policy'].get('version'))} · policy {esc(report['policy'].get('digest'))}</small></p></footer>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"
