"""Summary maths, the exit-code gate, --rep restriction, and when colour and progress are allowed."""

from __future__ import annotations

import io
import sys
import time

import pandas as pd
import pytest

from pipeaudit.commands import check
from pipeaudit.errors import ConfigError
from pipeaudit.findings import order_positions, ordered, severity_at_least, summarize
from pipeaudit.pipeline import only_rep
from test_formats_fixtures import big_findings, make_findings, make_result


@pytest.mark.parametrize(
    ("severities", "fail_on", "expected"),
    [
        (["info"], "error", False),
        (["info"], "warning", False),
        (["info"], "info", True),
        (["warning"], "warning", True),
        (["warning"], "error", False),
        (["error"], "never", False),
        (["error"], "info", True),
        ([], "info", False),
    ],
)
def test_severity_at_least(severities, fail_on, expected):
    frame = pd.DataFrame({"severity": pd.Series(severities, dtype="str")})
    assert severity_at_least(frame, fail_on) is expected


def test_unknown_fail_on_is_a_config_error():
    with pytest.raises(ConfigError, match="error\\|warning\\|info\\|never"):
        severity_at_least(make_findings(), "fatal")


def test_summary_counts_rules_muted_and_skipped():
    s = summarize(make_result())
    assert s["rules"] == {
        "funnel-short": 1, "missing-decision-maker": 2, "no-insider": 1, "no-next-step": 1,
        "price-before-confirmation": 1,
    }
    assert s["muted"] == 1
    assert s["open_amount"] == 250000.5
    assert sum(e["deals"] for e in s["by_owner"].values()) == s["deals"]
    assert sum(e["error"] for e in s["by_owner"].values()) == s["findings"]["error"]


def test_owner_with_only_a_rep_level_finding_gets_an_entry():
    findings = make_findings()
    findings.loc[4, "owner"] = "赵六"  # funnel-short for a rep without deals
    s = summarize(make_result(findings=findings))
    assert s["by_owner"]["赵六"] == {
        "deals": 0, "open_deals": 0, "open_amount": 0, "error": 0, "warning": 1, "info": 0, "muted": 0,
    }


def test_only_rep_is_case_and_space_insensitive():
    deals = make_result().deals
    picked = only_rep(deals, "  李四 ")
    assert set(picked.frame["owner"]) == {"李四"} and len(picked.frame) == 2
    with pytest.raises(ConfigError, match="close names / 相近的名字: 李四"):
        only_rep(deals, "李思")


def test_display_order_and_already_ordered_frames_are_not_copied():
    shuffled = make_findings().iloc[::-1]
    out = ordered(shuffled)
    assert list(out["deal_id"].fillna("-")) == ["D-001", "D-001", "D-002", "-", "D-004", "D-005"]
    assert list(out["rule"][:2]) == ["no-insider", "missing-decision-maker"]  # a tie keeps the input order
    assert order_positions(out) is None and ordered(out) is out


def test_no_colour_with_no_color_even_empty(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "")
    assert not check.color_allowed()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    assert check.color_allowed()
    monkeypatch.setenv("TERM", "dumb")
    assert not check.color_allowed()


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False), ("", False)])
def test_colour_on_a_terminal_unless_no_color(monkeypatch, no_color, coloured):
    import pipeaudit.pipeline as pipeline

    monkeypatch.setattr(pipeline, "run_audit", lambda opts, cfg=None: make_result())
    monkeypatch.setattr(pipeline, "load_settings", lambda opts: _Cfg())
    monkeypatch.setenv("TERM", "xterm")
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stdout", fake)
    from pipeaudit.options import AuditOptions

    code = check.run(AuditOptions(path="x.csv"), fmt="text")
    assert code == 1
    assert ("\x1b[" in fake.getvalue()) is coloured
    fake_json = FakeTTY()
    monkeypatch.setattr(sys, "stdout", fake_json)
    check.run(AuditOptions(path="x.csv"), fmt="json")
    assert "\x1b[" not in fake_json.getvalue()  # machine formats never get colour


class _Cfg:
    fail_on = None


def test_progress_only_for_people(monkeypatch):
    monkeypatch.setattr(sys, "stderr", FakeTTY())
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert check.progress_allowed()
    monkeypatch.setenv("CI", "true")
    assert not check.progress_allowed()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not check.progress_allowed()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe
    assert not check.progress_allowed()


def test_progress_appears_only_after_the_delay():
    with check.Progress(enabled=True, delay=5.0) as quick:
        quick.stage("x")
    assert quick._status is None  # a fast run never drew anything
    with check.Progress(enabled=False, delay=0.0) as off:
        time.sleep(0.05)
    assert off._status is None and off._timer is None


def test_json_of_300k_findings_is_fast():
    """Not a benchmark, a guard: the encoder must stay far from per-finding Python dict costs."""
    from pipeaudit.formats import render

    result = make_result(findings=ordered(big_findings(300_000)))
    start = time.perf_counter()
    render(result, "json", io.StringIO())
    assert time.perf_counter() - start < 5.0


def test_a_skipped_rule_names_the_option_that_would_feed_it():
    from pipeaudit.findings import skipped_reason

    assert skipped_reason(["prev_close_date"], "en") == (
        "needs last week's values from --baseline or --history (prev_close_date)")
    assert skipped_reason(["close_slips"], "en") == "needs the weeks kept by --history (close_slips)"
    assert skipped_reason(["deal_class", "class_since"], "en") == "the export has no deal_class, class_since columns"
    assert skipped_reason(["class_since"], "en").endswith("(--history can derive it)")
    zh = skipped_reason(["prev_amount", "forecast_category"], "zh")
    assert zh.startswith("导出文件没有") and "--baseline 或 --history" in zh and "上周金额（prev_amount）" in zh
