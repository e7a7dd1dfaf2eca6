"""Outside acceptance, session 12: inputs written from SPEC.md and the guide, through the real
CLI (and `clinimg serve` as a process). Each test is a defect that run found; it fails on the
code before the fix."""
from __future__ import annotations

import json
import pathlib

from tests.conftest import EXAMPLES, run_cli

SMS = EXAMPLES / "requests" / "disallowed_send_to_family_by_sms.json"


def _own_rule(directory: pathlib.Path, name: str, rule_id: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.rego").write_text(
        "# METADATA\n"
        "# title: No SMS\n"
        "# custom:\n"
        f"#   id: {rule_id}\n"
        "#   effect: deny\n"
        "#   guide_section: Hospital policies and contracts\n"
        "#   remedy: Use the secure app.\n"
        f"package clinimg.rules.local.{name}\n"
        "\n"
        "deny contains finding if {\n"
        '\tinput.channel == "sms"\n'
        f'\tfinding := {{"rule": "{rule_id}", "message": "No SMS here.", "guide": "Hospital policies and contracts", "remedy": "Use the secure app."}}\n'
        "}\n"
    )


# -- an own rule's id is its own ------------------------------------------------------------------


def test_an_own_rule_taking_a_shipped_or_another_own_rules_id_is_refused(tmp_path: pathlib.Path) -> None:
    # SPEC §4: own rules "appear in decisions and reports like shipped rules" — so an own rule
    # that reused a shipped id (a copy-pasted METADATA block) or another own rule's id was taken
    # for that rule without a word: the overlay's `disabled`/effect_overrides/waivers of the id
    # reached both, and the report counted two rules as one. `policy check` said "policies compile".
    shipped = tmp_path / "shipped"
    _own_rule(shipped, "no_sms", "disclosure.non_professional")
    problem = f'{shipped}/no_sms.rego:4: rule id "disclosure.non_professional" is a shipped rule\'s id'
    checked = run_cli("policy", "check", "--policy-dir", str(shipped))
    assert checked.code == 2 and checked.err.startswith(problem), checked.err
    assert len(checked.err.splitlines()) == 1  # the METADATA id and the literal: one problem
    decided = run_cli("check", str(SMS), "--policy-dir", str(shipped))
    assert (decided.code, decided.out) == (2, "") and decided.err.startswith("clinimg: " + problem)

    twice = tmp_path / "twice"
    _own_rule(twice, "no_sms", "local.no_sms")
    _own_rule(twice, "no_texts", "local.no_sms")
    checked = run_cli("policy", "check", "--policy-dir", str(twice))
    assert checked.code == 2
    assert checked.err.splitlines() == [f'{twice}/no_texts.rego:4: rule id "local.no_sms" is also the id of package clinimg.rules.local.no_sms ({twice}/no_sms.rego): each own rule needs an id of its own']
    assert run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-dir", str(twice)).code == 2

    # an own rule without METADATA whose literal takes a shipped id: the same
    (twice / "no_texts.rego").write_text(
        "package clinimg.rules.local.no_texts\n\n"
        'deny contains {"rule": "consent.documented", "message": "No.", "guide": "g", "remedy": "r"} if {\n\tinput.channel == "sms"\n}\n'
    )
    checked = run_cli("policy", "check", "--policy-dir", str(twice))
    assert checked.code == 2 and checked.err.startswith(f'{twice}/no_texts.rego:3: rule id "consent.documented" is a shipped rule\'s id')
    # ids of their own pass
    _own_rule(twice, "no_texts", "local.no_texts")
    assert run_cli("policy", "check", "--policy-dir", str(twice)).code == 0
