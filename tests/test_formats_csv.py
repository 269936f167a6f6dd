"""CSV output contract: columns, one finding a row, formula neutralisation, minimal quoting."""

from __future__ import annotations

import csv
import io

from pipeaudit.formats import render
from test_formats_fixtures import make_result

COLUMNS = ["rule", "severity", "row", "deal_id", "deal", "owner", "stage", "message", "question"]


def _rows(result=None) -> tuple[str, list[dict]]:
    buf = io.StringIO()
    render(result or make_result(), "csv", buf)
    text = buf.getvalue()
    return text, list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_and_one_row_per_finding():
    text, rows = _rows()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert len(rows) == 6
    assert list(rows[0]) == COLUMNS
    assert rows[0]["rule"] == "missing-decision-maker" and rows[0]["row"] == "5" and rows[0]["owner"] == "张三"
    assert text.endswith("\r\n") and not text.startswith("\ufeff")  # no BOM on a stream


def test_no_cell_is_a_formula():
    _, rows = _rows()
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    by_rule = {r["rule"]: r for r in rows}
    price = by_rule["price-before-confirmation"]
    assert price["deal"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert price["message"].startswith("'-quoted")
    assert price["question"] == "'+Who confirmed?"
    assert by_rule["no-next-step"]["message"] == "'@No next step"


def test_rep_level_row_is_empty_and_multiline_text_survives():
    _, rows = _rows()
    funnel = next(r for r in rows if r["rule"] == "funnel-short")
    assert funnel["row"] == "" and funnel["deal_id"] == "" and funnel["owner"] == "李四"
    assert rows[0]["question"] == "Can this person sign?\nWho else decides?"


def test_quoting_is_minimal():
    text, _ = _rows()
    assert "missing-decision-maker,error,5,D-001,Acme ERP,张三,B商务谈判," in text
    assert '"No insider, 100% exposed: here"' in text  # quoted only because of the comma
