"""The static local-rule contract check reads real Rego as the compiler does: every shipped rule
(written like a hospital's own) passes it, and one changed word in any of them fails it."""
from __future__ import annotations

import pytest

from checker.policy import RegoModule, load_modules
from checker.policylint import WITH_MESSAGE, lint, tokens

SHIPPED_RULES = [m for m in load_modules([]) if m.path.startswith("clinimg/rules/")]


def test_every_shipped_rule_keeps_the_contract() -> None:
    assert len(SHIPPED_RULES) > 40
    assert lint(SHIPPED_RULES) == []


@pytest.mark.parametrize("module", SHIPPED_RULES[::5], ids=lambda m: m.path)
def test_a_misnamed_key_in_a_shipped_rule_is_found(module: RegoModule) -> None:
    broken = RegoModule(module.path, module.source.replace('"message":', '"msg":'), "x.rego")
    if broken.source == module.source:
        pytest.skip("builds its findings without a literal")
    assert any("must have `message` (has `msg`" in p.message for p in lint([broken]))


def test_with_in_strings_and_comments_is_not_code() -> None:
    source = 'package clinimg.rules.local.x\n\n# with input as\nwarn contains {"rule": "with", "message": "with `x`", "guide": "g", "remedy": "r"} if input.a\n'
    assert lint([RegoModule("local/x.rego", source, "x.rego")]) == []
    used = source + "warn contains {\"rule\": \"with\", \"message\": \"m\", \"guide\": \"g\", \"remedy\": \"r\"} if {\n\tnot input.b with input as {}\n}\n"
    assert [(p.line, p.message) for p in lint([RegoModule("local/x.rego", used, "x.rego")])] == [(6, WITH_MESSAGE)]


def test_tokens_keep_lines() -> None:
    toks = tokens('a := "x\\"y"\n`raw\nstring` # c\nb')
    assert [(t.text, t.line) for t in toks][-1] == ("b", 4)
