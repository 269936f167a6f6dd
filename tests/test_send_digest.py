"""The digest's renderings and the one-rep workbook, without any server."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeaudit.report.index import read_index
from pipeaudit.send import digest
from pipeaudit.send.retry import DeliveryError, with_retries
from pipeaudit.send.sheet import RepWorkbooks
from send_support import RECORDS, make_report


def _index(tmp_path: Path, lang: str = "en") -> dict:
    index = read_index(make_report(tmp_path / "2026-11-23"))
    index["lang"] = lang
    return index


def test_chat_digest_stays_under_the_size_cap(tmp_path):
    index = _index(tmp_path, "zh")
    rep = dict(index["reps"][0])
    long = "超长的商机名称" * 100
    rep["top"] = [{"deal": long + str(i), "stage": "C", "amount": 1.0, "close_date": "2026-12-01",
                   "message": long, "question": long, "rules": ["r"]} for i in range(5)]
    rep["flagged"] = 40
    for flavor in ("md", "slack"):
        text = digest.chat_rep(digest.rep_content(index, rep), "zh", "https://x.example/r", flavor)
        assert len(text.encode("utf-8")) <= digest.CHAT_MAX_BYTES
        assert "另有" in text  # says how many more are in the full sheet


@pytest.mark.parametrize("flavor", ["md", "slack"])
def test_chat_text_cannot_inject_links_mentions_or_tags(flavor):
    hostile = "[click](http://evil) <@all> <at id=all></at> @all <font color=red>x</font> **b** `c`"
    shown = digest.chat_text(digest.clean(hostile), flavor)
    assert "<" not in shown and ">" not in shown
    if flavor == "md":
        assert "[" not in shown and "@" not in shown and "*" not in shown


def test_clean_drops_controls_bidi_and_line_breaks():
    assert digest.clean("a\u202eb\nc\x1bd\u200be") == "a b c d e"
    assert len(digest.clean("x" * 500)) == digest.TEXT_MAX


def test_links_quote_each_part():
    assert digest.link("https://r.example/s", "2026-11-23", "reps", "王 五.html") == \
        "https://r.example/s/2026-11-23/reps/%E7%8E%8B%20%E4%BA%94.html"
    assert digest.link(None, "x", "y") is None


def test_one_rep_workbook_holds_that_sheet_and_no_formula(tmp_path):
    records = [dict(r) for r in RECORDS]
    records[0]["deal"] = '=HYPERLINK("http://evil.example","x")'
    folder = make_report(tmp_path / "r", records=records)
    books = RepWorkbooks(folder / "report.xlsx")
    try:
        data = books.one("张伟")
        with pytest.raises(DeliveryError, match="no sheet"):
            books.one("Nobody")
    finally:
        books.close()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == 1 and b"<f>" not in z.read(sheets[0])
    ws = load_workbook(io.BytesIO(data)).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert '=HYPERLINK("http://evil.example","x")' in values
    assert not any("LiOnly" in str(v) for v in values)


def test_a_damaged_workbook_fails_that_message_only(tmp_path):
    bad = tmp_path / "report.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DeliveryError, match="cannot be read"):
        RepWorkbooks(bad).one("x")


def test_report_xlsx_is_not_opened_when_openpyxl_parses_without_defusedxml(tmp_path, monkeypatch):
    import openpyxl
    import openpyxl.xml

    folder = make_report(tmp_path / "r")
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)  # what OPENPYXL_DEFUSEDXML=False leaves
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("report.xlsx was opened"))
    with pytest.raises(DeliveryError, match="defusedxml"):
        RepWorkbooks(folder / "report.xlsx").one("张伟")


def test_retries_back_off_and_honour_retry_after():
    slept: list[float] = []
    calls = iter([DeliveryError("busy", transient=True), DeliveryError("busy", transient=True, retry_after=30),
                  DeliveryError("busy", transient=True), None])

    def attempt():
        exc = next(calls)
        if exc:
            raise exc
        return "ok"

    assert with_retries(attempt, retries=3, backoff=2, sleep=slept.append) == "ok"
    assert slept == [2, 30, 8]
    with pytest.raises(DeliveryError, match="refused"):
        with_retries(lambda: (_ for _ in ()).throw(DeliveryError("refused")), retries=3, backoff=2, sleep=slept.append)
    assert slept == [2, 30, 8]  # a permanent failure is not retried
