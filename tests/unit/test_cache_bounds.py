"""The per-rule cache is bounded: at its cap it starts over (a varied night's keys are mostly new),
and the report stays the one `--no-cache` gives."""
from __future__ import annotations

import pathlib

import pytest

from checker import api
from checker.engines import rulecache
from checker.loggen import write_log
from checker.reports.audit import AUDIT_REPORTER_BY_NAME


def _report(log: pathlib.Path, cache: bool) -> str:
    report = api.audit([str(log)], workers=1, cache=cache)
    return AUDIT_REPORTER_BY_NAME["json"]().render(report.document())


def test_a_cache_that_starts_over_gives_the_uncached_report(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "diverse.jsonl"
    with open(log, "w") as fh:
        write_log(fh, 300, 5, diverse=True)
    cleared = []
    real_clear = dict.clear

    class CountingDict(dict):
        def clear(self) -> None:
            cleared.append(len(self))
            real_clear(self)

    original_init = rulecache.RuleCache.__init__

    def init(self, rules):  # type: ignore[no-untyped-def]
        original_init(self, rules)
        self._cache = CountingDict()

    monkeypatch.setattr(rulecache.RuleCache, "MAX_ENTRIES", 40)
    monkeypatch.setattr(rulecache.RuleCache, "__init__", init)
    small = _report(log, cache=True)
    assert cleared and max(cleared) == 40  # it did start over, at the cap, more than once
    assert len(cleared) > 3
    assert small == _report(log, cache=False)


def test_fact_set_caches_that_start_over_give_the_uncached_report(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-input caches (fact sets, fast keys) at a cap of 7: they start over before nearly
    every batch, also between a key's lookup and its use in one batch would be wrong — the report
    is still the uncached one."""
    from checker.engines import cached

    log = tmp_path / "mixed.jsonl"
    with open(log, "w") as fh:
        write_log(fh, 600, 9, diverse=False)
        write_log(fh, 200, 4, diverse=True)
    starts = []
    real = cached.CachedEngine.decide

    def decide(self, inputs, fast_keys=None):  # type: ignore[no-untyped-def]
        starts.append((len(self._cache), len(self._fast)))
        return real(self, inputs, fast_keys)

    monkeypatch.setattr(cached, "MAX_ENTRIES", 7)
    monkeypatch.setattr(cached.CachedEngine, "decide", decide)
    small = _report(log, cache=True)
    assert any(c >= 7 for c, _ in starts) and any(f >= 7 for _, f in starts)  # the caps were reached
    assert small == _report(log, cache=False)
