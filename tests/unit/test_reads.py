"""engines/reads.py: what a rule package reads, derived from its Rego — and the per-rule keys
and decide.rego's combination built on it (engines/rulecache.py)."""
from __future__ import annotations

from checker.engines.canon import Canonicalizer
from checker.engines.reads import ROOT, analyse
from checker.engines.rulecache import RuleSet, combine, project, unrestore, UNSAFE
from checker.policy import load_modules

LIB = "package clinimg.lib\n\nage := object.get(input, [\"patient\", \"age_years\"], null)\n\nbasis := input.purpose\n\nbig if age > 3\n"


def _rule(body: str, name: str = "x") -> str:
    return f"package clinimg.rules.local.{name}\n\nimport data.clinimg.lib\n\n{body}\n"


def _reads(body: str):
    return analyse([LIB, _rule(body)])["local.x"]


def test_paths_from_refs_object_get_and_lib() -> None:
    r = _reads('deny contains f if {\n\tinput.type == "capture"\n\tinput.image["modality"] == "video"\n'
               '\tobject.get(input, ["actor", "device"], {}).owner == "x"\n\tlib.big\n\tf := {"rule": "local.x", "message": "input.facility"}\n}')
    assert r.paths == {("type",), ("image", "modality"), ("actor", "device"), ("patient", "age_years")}
    assert r.guard_types == {"capture"}


def test_any_other_use_of_input_reads_everything() -> None:
    assert _reads("deny contains f if {\n\tsome k, v in input\n\tf := {}\n}").paths == {ROOT}
    assert _reads("deny contains f if {\n\tk := \"a\"\n\tinput[k] == 1\n\tf := {}\n}").paths == {ROOT}
    assert _reads("deny contains f if {\n\tobject.get(input, k, 1) == 1\n\tf := {}\n}").paths == {ROOT}
    assert _reads("deny contains f if {\n\tdata.clinimg.rules.other.deny\n\tf := {}\n}").paths == {ROOT}
    assert _reads("deny contains f if {\n\tlib.nothing_like_this\n\tf := {}\n}").paths == {ROOT}


def test_local_definitions_are_followed_and_basis_is_a_value() -> None:
    r = _reads('helper := input.channel\n\ndeny contains f if {\n\thelper == "sms"\n\tlib.basis == "consent"\n\tf := {}\n}')
    assert r.paths == {("channel",)} and r.uses == {"basis"}
    assert r.guard_types is None  # no type guard: active for every type


def test_the_shipped_policy_is_analysed_and_mostly_vetted() -> None:
    sources = [m.source for m in load_modules() if not m.is_test]
    rules = RuleSet(sources, Canonicalizer([24, 72]))
    assert len(rules.reads) > 50
    assert rules.reads["disclosure.wrong_recipient"].paths == {("type",), ("intended_recipient",), ("recipient", "id")}
    assert rules.mode["retention.minimum_period"] == "raw"  # age arithmetic: never abstracted
    assert rules.mode["collection.appropriate_person"] == "free"
    assert not rules.whole_key_ok("record_deletion") and rules.whole_key_ok("capture")


def test_project_keeps_only_what_is_read() -> None:
    doc = {"type": "capture", "image": {"id": "i", "modality": "video", "file": "/x"}, "actor": "not an object", "facility": "f"}
    assert project(doc, [("type",), ("image", "modality"), ("actor", "role"), ("patient", "id")]) == {
        "type": "capture", "image": {"modality": "video"}, "actor": "not an object"}


def test_results_naming_ids_in_text_are_not_shared() -> None:
    assert unrestore({"deny": [{"event_id": "ev-1", "message": "m"}]}, ["ev-1"]) == {"deny": [{"event_id": "\u27e60\u27e7", "message": "m"}]}
    assert unrestore({"deny": [{"event_id": "ev-1", "message": "about ev-1"}]}, ["ev-1"]) is UNSAFE
    assert unrestore({"deny": [{"rule": "ev-1"}]}, ["ev-1"]) is UNSAFE


def test_combine_follows_decide_rego() -> None:
    f = {"rule": "a.b", "message": "m", "guide": "g", "remedy": "r"}
    g = {"rule": "c.d", "message": "n", "guide": "g", "remedy": "r"}
    results = {"basis": "consent", "a.b": {"deny": [f]}, "c.d": {"warn": [g], "obligation": [{"id": "o", "x": 1}]}}
    d = combine(results, {})
    assert d["outcome"] == "deny" and d["obligations"] == [] and [x["effect"] for x in d["findings"]] == ["deny", "warn"]
    d = combine(results, {"rules": {"disabled": ["a.b"], "effect_overrides": {"c.d": "escalate"}}})
    assert d["outcome"] == "escalate" and d["findings"] == [{**g, "effect": "escalate"}] and d["obligations"] == [{"id": "o", "x": 1}]
    assert combine({"a.b": {"deny": [{"message": "no rule"}]}}, {}) is None  # unknown shapes: the whole policy decides
    assert combine({"a.b": {"deny": [f, {**f, "guide": "other"}]}}, {}) is None  # two findings sorting equal


def test_an_unreviewed_decide_rego_turns_the_cache_exact() -> None:
    from checker.engines.cached import CachedEngine

    modules = [m for m in load_modules() if not m.is_test]
    rules = RuleSet([m.source for m in modules], Canonicalizer([24, 72]))
    assert rules.decide_ok
    changed = [m.source.replace('effects := ["deny", "escalate", "warn"]', 'effects := ["deny", "escalate", "warn", "info"]') for m in modules]
    assert changed != [m.source for m in modules]
    other = RuleSet(changed, Canonicalizer([24, 72]))
    assert not other.decide_ok

    class Inner:
        name = "fake"

    engine = CachedEngine(Inner(), deadline_thresholds=[24], exact_keys=False, rules=other, overlay={})
    assert engine.exact_keys and engine.rules is None and not engine.shortcut_ok("capture", "e-1")


def test_a_hospital_rule_breaking_the_contract_is_left_to_the_whole_policy() -> None:
    # decide.rego answers a contract violation (a local finding without text guide/remedy, an
    # obligation without text, an effect that is not a set): combine gives up, and a local
    # package whose effect is not a partial set turns combining off altogether.
    f = {"rule": "local.x", "message": "m", "guide": "g", "remedy": "r"}
    assert combine({"local.x": {"warn": [f]}}, {}) is not None
    assert combine({"local.x": {"warn": [{**f, "remedy": 1}]}}, {}) is None
    assert combine({"local.x": {"obligation": [{"id": "o"}]}}, {}) is None
    assert combine({"a.b": {"obligation": [{"id": "o"}]}}, {}) is not None  # the contract is for local rules
    sources = [m.source for m in load_modules() if not m.is_test]
    as_array = _rule('deny := [{"rule": "local.x", "message": "m", "guide": "g", "remedy": "r"}]')
    assert not RuleSet(sources + [as_array], Canonicalizer([24])).decide_ok
    assert RuleSet(sources + [_rule("deny contains f if {\n\tinput.x\n\tf := {}\n}")], Canonicalizer([24])).decide_ok


GUARDED_LIB = '''package clinimg.lib

picked contains c if {
	input.type == "capture"
	some c in object.get(input, "consents", [])
}

picked contains c if {
	input.type in {"disclosure", "receipt"}
	some c in object.get(input, "consents", [])
}

open_set contains c if {
	some c in object.get(input, "consents", [])
}

urgent if {
	input.type == "capture"
	input.urgent == true
}

default flagged := false

device := input.device if input.type in {"receipt", "capture"}

default any_device := {}

flagged if input.type == "capture"

basis := "a" if {
	input.type == "disclosure"
	input.urgent == true
} else := "b" if {
	input.type == "capture"
} else := null
'''


def _guard(body: str) -> frozenset[str] | None:
    return analyse([GUARDED_LIB, _rule(body)])["local.x"].guard_types


def test_type_guards_are_followed_through_what_a_body_needs() -> None:
    # A set it iterates or counts, a rule that must be true, a comprehension over a guarded set.
    assert _guard("deny contains f if {\n\tsome c in lib.picked\n\tf := {}\n}") == {"capture", "disclosure", "receipt"}
    assert _guard("deny contains f if {\n\tcount(lib.picked) > 0\n\tf := {}\n}") == {"capture", "disclosure", "receipt"}
    assert _guard("deny contains f if {\n\tlib.urgent\n\tf := {}\n}") == {"capture"}
    assert _guard("mine := {c |\n\tsome c in lib.picked\n\tc.x == 1\n}\n\ndeny contains f if {\n\tcount(mine) > 0\n\tf := {}\n}") == {
        "capture", "disclosure", "receipt"}
    assert _guard("deny contains f if {\n\tlib.urgent\n\tsome c in lib.picked\n\tf := {}\n}") == {"capture"}  # both must hold


def test_type_guards_of_heads_over_lines_and_of_fields_compared() -> None:
    # A head spanning lines (an obligation's object): its body is the block after `} if {`.
    assert _guard('obligation contains {\n\t"id": "o",\n\t"text": "if {",\n} if {\n\tinput.type == "disclosure"\n}') == {"disclosure"}
    assert _guard('deny contains {\n\t"rule": "local.x",\n} if {\n\tlib.urgent\n\tinput.y\n}') == {"capture"}
    assert _guard('obligation contains {\n\t"id": "o",\n} if {\n\tinput.x\n}') is None
    assert _guard('obligation contains {\n\t"id": "o",\n} if input.type == "capture"') is None  # (not followed: any type)
    # A field of a rule compared with a literal: undefined where the rule is.
    assert _guard("deny contains f if {\n\tlib.device.passcode == false\n\tf := {}\n}") == {"receipt", "capture"}
    assert _guard('deny contains f if {\n\tlib.device.owner.kind != "hospital"\n\tf := {}\n}') == {"receipt", "capture"}
    assert _guard("deny contains f if {\n\tlib.any_device.passcode == false\n\tf := {}\n}") is None  # a default: defined for all
    assert _guard("deny contains f if {\n\td := object.get(input, \"device\", {})\n\td.passcode == false\n\tf := {}\n}") is None  # a variable
    assert _guard("deny contains f if {\n\tinput.device.passcode == false\n\tf := {}\n}") is None


def test_type_guards_give_up_where_a_body_may_hold_for_any_type() -> None:
    assert _guard("deny contains f if {\n\tsome c in lib.open_set\n\tf := {}\n}") is None  # one definition unguarded
    assert _guard("deny contains f if {\n\tnot lib.urgent\n\tf := {}\n}") is None  # `not`: holds where urgent does not
    assert _guard("deny contains f if {\n\tlib.flagged\n\tf := {}\n}") is None  # a default: always defined
    assert _guard("deny contains f if {\n\tlib.picked\n\tf := {}\n}") is None  # an empty set is true
    assert _guard("deny contains f if {\n\tcount(lib.picked) == 0\n\tf := {}\n}") is None
    assert _guard("deny contains f if {\n\tevery c in lib.picked { c.x }\n\tf := {}\n}") is None  # every over nothing holds
    # A variable of the body that shares a rule's name is the variable.
    assert _guard("urgent := true\n\ndeny contains f if {\n\tsome urgent in object.get(input, \"xs\", [])\n\turgent\n\tf := {}\n}") is None
    assert _guard("deny contains f if {\n\tsome c in lib.picked\n\tf := {}\n}\n\ndeny contains f if {\n\tinput.x\n\tf := {}\n}") is None


def test_basis_of_an_input_no_branch_holds_for_is_the_final_constant() -> None:
    found = analyse([GUARDED_LIB, _rule("deny contains f if {\n\tf := {}\n}")])["basis"]
    assert found.guard_types == {"disclosure", "capture"} and found.otherwise == "null"
    rules = RuleSet([GUARDED_LIB, _rule("deny contains f if {\n\tf := {}\n}")], Canonicalizer([24]))
    assert rules.key("basis", {"type": "receipt", "urgent": True})[0] == rules.key("basis", {"type": "device_deletion"})[0]
    assert rules.key("basis", {"type": "disclosure", "urgent": True})[0] != rules.key("basis", {"type": "disclosure"})[0]
    # A branch holding for any type: no constant.
    lib = GUARDED_LIB.replace('} else := "b" if {\n\tinput.type == "capture"\n}', '} else := "b" if {\n\tinput.urgent\n}')
    assert analyse([lib, _rule("deny contains f if {\n\tf := {}\n}")])["basis"].otherwise is None


def test_the_shipped_consent_family_is_inert_for_events_without_consent_purposes() -> None:
    found = analyse([m.source for m in load_modules() if not m.is_test])
    for name in ("consent.child_guardian", "consent.competent_adult", "consent.written_form", "collection.emergency", "collection.consent_required"):
        assert found[name].inert_for("record_transfer") and found[name].inert_for("device_deletion"), name
    assert not found["consent.competent_adult"].inert_for("disclosure")
