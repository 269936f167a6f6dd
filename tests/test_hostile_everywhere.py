"""One hostile text through every field of an export AND every label a user can configure (the
stage values, a custom ladder's name and stage names in the config, a rule pack's message, questions,
why and description, the report's labels and stage questions) into every output: check as text, json,
csv, junit and github, report as html, md and xlsx. Nothing live may get through: no markup, no
formula, no terminal escape, bidi override or line separator where a person reads it.

The report's labels and stage questions (report_labels.yaml, stage_questions.yaml in --templates)
belong to the templates: in HTML they are escaped like everything else, in Markdown they are written
as the template author wrote them (a Markdown template may hold markup of its own).

It fails if an escape on the way is removed: the funnel SVG's (report/charts.py geometry drawn by _charts.html.j2, stage names from the
ladder), the autoescape of findings messages in the page templates, the text and github writers'
visible escapes, the CSV and xlsx formula guards.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.model import FIELDS

AS_OF = ["--as-of", "2026-11-23"]
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
HOSTILE = f"{IMG}{FORMULA}\u202e{OSC52}\u2028\u0085<script>alert(2)</script>"
TERMINAL_UNSAFE = ("\x1b", "\x07", "\u202e", "\u2028", "\u0085")
LADDER = f"梯{IMG}\u202e"
STAGES = [f"{IMG}线索", f"{FORMULA}", f"{OSC52}方案", f"谈判\u2028{IMG}", "签约\u202e<b>"]
WON, LOST = f"赢{IMG}", f"输{FORMULA}"
TEXT_FIELDS = [name for name, spec in FIELDS.items() if spec.kind in ("id", "text", "class") and name != "ignore"]
ODD_VALUES = {"amount": f"{IMG}", "close_date": HOSTILE, "created": "2026-01-01", "last_activity": FORMULA,
              "class_since": "2026-10-01", "stage_since": f"{OSC52}", "quote_date": "2026-11-01",
              "quote_amount": "12", "confirmed": HOSTILE, "confirmed_date": "2026-11-02", "probability": IMG}


def _export(tmp_path: Path) -> Path:
    headers = [*FIELDS]  # canonical names are headers too
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([h for h in headers if h != "ignore"])
    for i, stage in enumerate([*STAGES, WON, LOST, *STAGES]):
        row = []
        for name in headers:
            if name == "ignore":
                continue
            if name == "stage":
                row.append(stage)
            elif name == "deal_id":
                row.append(f"OPP-{i}{HOSTILE}")
            elif name == "owner":
                row.append(HOSTILE if i % 2 else f"{FORMULA}{i % 3}")
            elif name in TEXT_FIELDS:
                row.append(HOSTILE)
            else:
                row.append(ODD_VALUES.get(name, "") if i % 3 else "")
        writer.writerow(row)
    path = tmp_path / "hostile.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _config(tmp_path: Path) -> Path:
    cfg = {"ladder": LADDER, "ladders": {LADDER: {"open": STAGES, "won": [WON], "lost": [LOST]}}}
    path = tmp_path / "pipeaudit.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=False), encoding="utf-8")  # escapes as YAML escapes
    return path


def _pack(tmp_path: Path) -> Path:
    text = {"zh": f"{HOSTILE} 阶段 {{stage}} 负责人 {{owner}} 商机 {{deal}} 下一步 {{next_step}}",
            "en": f"{HOSTILE} stage {{stage}} owner {{owner}} deal {{deal}} next {{next_step}}"}
    plain = {"zh": HOSTILE, "en": HOSTILE}
    pack = {"pack": "hostile", "rules": [{
        "name": "hostile-everything", "severity": "error", "applies_to": {"status": "any"},
        "where": {"present": "deal"}, "message": text, "questions": [text, plain], "why": plain,
        "description": plain, "ref": "X1",
    }]}
    path = tmp_path / "hostile_rules.yaml"
    path.write_text(yaml.safe_dump(pack, allow_unicode=False), encoding="utf-8")
    return path


def _templates(tmp_path: Path) -> Path:
    """The report's own words, configurable by file: labels and the stage questions."""
    from pipeaudit.resources import data_dir

    folder = tmp_path / "tpl"
    folder.mkdir()
    from pipeaudit import i18n

    zh, en = i18n.texts("report", "zh"), i18n.texts("report", "en")
    labels = {key: {"zh": zh[key], "en": en[key]} for key in zh}
    for key in list(labels)[::3]:
        labels[key] = {"zh": f"{labels[key]['zh']}{IMG}\u202e", "en": f"{labels[key]['en']}{IMG}"}
    (folder / "report_labels.yaml").write_text(yaml.safe_dump(labels, allow_unicode=False), encoding="utf-8")
    questions = yaml.safe_load((data_dir("templates") / "stage_questions.yaml").read_text(encoding="utf-8"))
    for block in questions["stages"].values():
        block["name"] = {"zh": f"阶段{IMG}", "en": f"stage{IMG}"}
        block["questions"].append({"zh": HOSTILE, "en": HOSTILE})
    (folder / "stage_questions.yaml").write_text(yaml.safe_dump(questions, allow_unicode=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("everywhere")
    return {"export": _export(tmp), "config": _config(tmp), "rules": _pack(tmp), "templates": _templates(tmp),
            "out": tmp / "report", "tmp": tmp}


def _check(setup: dict, fmt: str, lang: str = "zh") -> str:
    res = CliRunner().invoke(app, ["check", str(setup["export"]), *AS_OF, "--config", str(setup["config"]),
                                   "--rules", str(setup["rules"]), "--format", fmt, "--lang", lang])
    assert res.exit_code == 1, (res.exit_code, res.output[-2000:], res.exception)
    return res.stdout


def _no_terminal_escape(text: str) -> None:
    for ch in TERMINAL_UNSAFE:
        assert ch not in text, f"raw {ch!r} in the output"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _no_live_markup(html: str, where: str) -> None:
    parser = Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "script", "iframe", "object", "embed", "b"), f"live <{tag}> in {where}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} in {where}"
            assert not (value or "").strip().lower().startswith("javascript:"), f"script link in {where}"


def test_the_ladder_and_the_rule_pack_are_in_use(setup: dict) -> None:
    data = json.loads(_check(setup, "json"))
    assert data["ladder"] == LADDER
    stages = {f["stage"] for f in data["findings"]}
    assert set(STAGES) <= stages  # hostile stage values reach the findings, verbatim in JSON
    hits = [f for f in data["findings"] if f["rule"] == "hostile-everything"]
    assert len(hits) == len(STAGES) * 2 + 2
    assert any(STAGES[1] in f["message"] and IMG in f["message"] for f in hits)  # filled with the stage


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_and_github(setup: dict, lang: str) -> None:
    for fmt in ("text", "github"):
        out = _check(setup, fmt, lang)
        _no_terminal_escape(out)
        assert "\\u202e" in out and "\\x1b]52" in out  # shown as escapes, not dropped silently


def test_json(setup: dict) -> None:
    raw = _check(setup, "json")
    _no_terminal_escape(raw)  # escaped as \\uXXXX: the same text once parsed
    data = json.loads(raw)
    assert any(f["owner"] == HOSTILE for f in data["findings"])


def test_csv(setup: dict) -> None:
    rows = list(csv.reader(io.StringIO(_check(setup, "csv"))))
    assert len(rows) > 10
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_junit(setup: dict) -> None:
    xml = _check(setup, "junit")
    root = ElementTree.fromstring(xml.encode("utf-8"))
    assert not [e for e in root.iter() if e.tag.lower() in ("img", "script", "b")]
    assert "\x1b" not in xml and "\x07" not in xml


def _report(setup: dict, out: Path, formats: str, *extra: str) -> Path:
    res = CliRunner().invoke(app, ["report", str(setup["export"]), *AS_OF, "--config", str(setup["config"]),
                                   "--rules", str(setup["rules"]), "--format", formats, "--out", str(out), *extra])
    assert res.exit_code == 0, (res.output[-2000:], res.exception)
    return out


@pytest.fixture(scope="module")
def report(setup: dict) -> Path:
    return _report(setup, setup["out"], "html,md,xlsx")


@pytest.fixture(scope="module")
def labelled(setup: dict) -> Path:
    return _report(setup, setup["tmp"] / "labelled", "html", "--templates", str(setup["templates"]))


@pytest.mark.parametrize("which", ["report", "labelled"])
def test_html(which: str, request) -> None:
    folder = request.getfixturevalue(which)
    pages = list(folder.rglob("*.html"))
    assert len(pages) >= 4
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert "<svg" in summary and "&lt;img src=x" in summary  # the funnel carries the stage names, escaped
    for page in pages:
        html = page.read_text(encoding="utf-8")
        _no_live_markup(html, page.name)
        assert "<img" not in html.lower() and "<script>alert" not in html


def test_markdown(report: Path) -> None:
    for page in report.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for live in ("<img", "<script", "<b>", "](javascript"):
            assert live not in text.lower(), (live, page.name)


def test_xlsx(report: Path) -> None:
    with zipfile.ZipFile(report / "report.xlsx") as book:
        names = book.namelist()
        for name in names:
            if name.endswith(".xml"):
                ElementTree.fromstring(book.read(name))  # well-formed
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in book.read(name).decode("utf-8"), f"formula in {name}"
        # XlsxWriter's constant-memory mode writes text inline in each sheet (<is><t>...</t></is>)
        strings = "".join(book.read(n).decode("utf-8") for n in names
                          if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml")
    texts = re.findall(r"<t[^>]*>([^<]*)</t>", strings)
    assert any(FORMULA.replace('"', "&quot;") in t or FORMULA in t for t in texts)  # present as text
