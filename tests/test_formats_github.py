"""GitHub workflow-command output: one line per finding, severity mapping, escaping."""

from __future__ import annotations

import io

from pipeaudit.formats import render
from pipeaudit.formats.github import escape_data, escape_property
from test_formats_fixtures import make_result


def _lines() -> list[str]:
    buf = io.StringIO()
    render(make_result(), "github", buf)
    return buf.getvalue().splitlines()


def test_one_line_per_finding_with_exact_shape():
    lines = _lines()
    assert len(lines) == 6
    assert lines[0] == (
        "::error file=exports/crm%2CQ4%3Azh.xlsx,line=5,title=missing-decision-maker::"
        "No decision-maker named — Can this person sign?%0AWho else decides?"
    )


def test_severity_commands_and_rep_level_without_line():
    lines = _lines()
    assert [l.split(" ", 1)[0] for l in lines] == ["::error", "::error", "::warning", "::warning", "::notice", "::error"]
    funnel = next(l for l in lines if "title=funnel-short" in l)
    assert "line=" not in funnel
    assert funnel.startswith("::warning file=exports/crm%2CQ4%3Azh.xlsx,title=funnel-short::")


def test_escaping_rules():
    assert escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = next(l for l in _lines() if "price-before" in l)
    assert line.endswith("::-quoted before confirmation%0D%0Asee %25TEMP%25 — +Who confirmed?")
    assert "\r" not in line
