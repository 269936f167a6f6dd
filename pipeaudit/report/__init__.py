"""`pipeaudit report`: the per-rep 过堂 sheets and the team summary, as html, md and xlsx.

Layout: DIR/summary.<ext>, DIR/reps/<rep>.<ext>, DIR/report.xlsx, and DIR/index.json (which page is
whose, for `pipeaudit send`; see report.index). Every file is written atomically and every name
derived from the data is sanitised and checked to stay inside DIR.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.model import AuditResult

FORMATS = ("html", "md", "xlsx")
PLAN_ROWS = 6  # blank rows in the next-week plan table


def check_formats(formats: list[str]) -> list[str]:
    """Validated, de-duplicated, in the order given."""
    from pipeaudit.yamlsafe import did_you_mean

    out: list[str] = []
    for fmt in formats or ["html"]:
        fmt = fmt.strip().lower()
        if fmt not in FORMATS:
            raise ConfigError(
                f"--format {fmt!r}: expected html, md or xlsx / 格式应为 html、md 或 xlsx{did_you_mean(fmt, FORMATS)}"
            )
        if fmt not in out:
            out.append(fmt)
    return out


@contextlib.contextmanager
def cyclic_gc_paused():
    """The report builds millions of long-lived, acyclic dicts and strings (one per deal, finding and
    question): the cyclic collector kept rescanning them and took half the time of a 100,000-deal
    report, finding nothing (peak memory is the same with it off). Reference counting still frees
    everything; the collector is back on afterwards, as it was. Nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_report(result: AuditResult, out: Path, formats: list[str], templates: Path | None = None) -> list[Path]:
    """Render the summary and one page per rep in each format; returns the files written."""
    with cyclic_gc_paused():
        return _write_report(result, out, formats, templates)


def _write_report(result: AuditResult, out: Path, formats: list[str], templates: Path | None) -> list[Path]:
    from pipeaudit.outputs import atomic_write
    from pipeaudit.report.context import build_model
    from pipeaudit.report.naming import file_names, inside
    from pipeaudit.report.texts import load_texts

    formats = check_formats(formats)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder / 不是文件夹")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") from None

    texts = load_texts(result.lang, templates)
    model = build_model(result, texts)
    stems = file_names([r["owner"] for r in model["reps"]], blank=model["L"]["no_owner"])
    for rep in model["reps"]:
        rep["stem"] = stems[rep["owner"]]
    by_owner = {r["owner"]: r for r in model["reps"]}
    for d in model["help_deals"]:
        d["owner_display"] = by_owner[d["owner"]]["display"] if d["owner"] in by_owner else d["owner"]

    from pipeaudit.report.index import mark_incomplete, write_index

    mark_incomplete(out)  # the full index is written last: it only ever describes a complete report
    written: list[Path] = []
    text_formats = [f for f in formats if f in ("html", "md")]
    if text_formats:
        from pipeaudit.report.environment import make_environment, render
        from pipeaudit.report.svg import funnel_svg

        env = make_environment(templates)
        svg = funnel_svg(model["team_funnel"], model["L"]["deals"], model["L"]["amount"])
        for ext in text_formats:
            for rep in model["reps"]:
                rep["href"] = f"reps/{rep['stem']}.{ext}"
            for d in model["help_deals"]:
                d["href"] = f"reps/{stems[d['owner']]}.{ext}" if d["owner"] in stems else ""
            common = {k: v for k, v in model.items() if k != "reps"}
            common["checklist"] = _checklists(env, ext, model, texts)
            path = inside(out, f"summary.{ext}")
            atomic_write(path, render(env, f"summary.{ext}.j2", reps=model["reps"], team_funnel_svg=svg, **common))
            written.append(path)
            for rep in model["reps"]:
                path = inside(out, "reps", f"{rep['stem']}.{ext}")
                page = render(env, f"rep.{ext}.j2", rep=rep, summary_href=f"../summary.{ext}",
                              plan_rows=PLAN_ROWS, **common)
                atomic_write(path, page)
                written.append(path)
    if "xlsx" in formats:
        from pipeaudit.report.xlsx import write_workbook

        written.append(write_workbook(model, inside(out, "report.xlsx")))
    written.append(write_index(model, out, formats))
    return written


def _checklists(env, ext: str, model: dict, texts) -> dict:
    """Each EDCBA stage's questions and the standing 过堂 questions, rendered once per format:
    they repeat on every flagged deal, and a 100,000-deal export should not re-render them each time."""
    from markupsafe import Markup

    from pipeaudit.report.environment import render
    from pipeaudit.report.texts import EDCBA

    L = model["L"]
    out = {
        letter: Markup(render(env, f"_checklist.{ext}.j2", L=L, css="stage-q",
                              title=f"{L['stage_questions']} ({texts.stage_names[letter]})",
                              questions=texts.stage_questions[letter]))
        for letter in EDCBA
    }
    out["standing"] = Markup(render(env, f"_checklist.{ext}.j2", L=L, css="standing-q",
                                    title=L["standing_questions"], questions=texts.standing))
    return out
