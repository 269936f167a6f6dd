"""`pipeaudit report`: the per-rep 过堂 sheets and the team summary, as html, md and xlsx.

Layout: DIR/summary.<ext>, DIR/reps/<rep>.<ext>, DIR/report.xlsx, and DIR/index.json (which page is
whose, for `pipeaudit send`; see report.index). Every name derived from the data is sanitised and
checked to stay inside DIR.

All or nothing: the whole report is written into a new folder beside DIR first; only once every
page is written are they moved into DIR: first the index becomes an "incomplete" marker, then the
pages move in, then the summaries (so a summary never links a page that is not there), and the
new index last (so `send` never pairs last week's index with this week's pages). A report that
fails half-way (a template error, a full disk) leaves the previous report as it was. At most
MAX_REPS reps (read/limits.py) get pages: a 100,000-owner export is refused in one line instead
of writing files for minutes.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.result import AuditResult
from pipeaudit.runtime import cyclic_gc_paused

FORMATS = ("html", "md", "xlsx")


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


def write_report(result: AuditResult, out: Path, formats: list[str], templates: Path | None = None,
                 *, follow_symlinks: bool = False) -> list[Path]:
    """Render the summary and one page per rep in each format; returns the files written (in `out`)."""
    from pipeaudit.outputs import resolve_output

    formats = check_formats(formats)
    out = resolve_output(Path(out), "--out", follow_symlinks=follow_symlinks)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder / 不是文件夹")
    out = out.resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    with cyclic_gc_paused():
        staging = _staging_folder(out)
        try:
            written = _write_report(result, staging, formats, templates)
            return _install(staging, out, written)
        except OSError as exc:  # a full disk, a folder we may not write: the user's to fix
            raise ConfigError(f"--out {out}: cannot write the report ({exc.strerror or exc}) / 无法写入报告") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _staging_folder(out: Path) -> Path:
    """A new, empty folder beside `out` (same filesystem, so moving out of it is a rename), with the
    mode a new folder gets (0777 less the umask): it becomes `out` when there was none."""
    for _ in range(100):
        staging = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.mkdir(staging, 0o777)
            return staging
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot write beside it ({exc.strerror}) / 无法写入") from None
    raise ConfigError(f"--out {out}: no free temporary name beside it")


def _install(staging: Path, out: Path, written: list[Path]) -> list[Path]:
    """Move the finished report from `staging` into `out`: the whole folder when `out` is new,
    else the pages first and the summaries and workbook last, each by an atomic rename."""
    from pipeaudit.report.naming import inside

    if not out.exists():
        try:
            os.rename(staging, out)
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
        return [out / p.relative_to(staging) for p in written]
    from pipeaudit.report.index import INDEX_NAME, mark_incomplete

    mark_incomplete(out)  # until the new index moves in last, `send` sees an incomplete report
    pages = [p for p in written if p.parent.name == "reps"]
    if pages:
        reps = out / "reps"
        if reps.is_symlink() or (reps.exists() and not reps.is_dir()):
            raise ConfigError(f"--out {out}: 'reps' there is not a plain folder (a link?); pages are only written inside --out"
                              " / reps 不是普通文件夹，拒绝写入")
        reps.mkdir(exist_ok=True)
    moved = []
    # pages, then the summaries and the workbook, then the index
    for path in sorted(written, key=lambda p: (p.parent.name != "reps", p.name == INDEX_NAME)):
        target = inside(out, *path.relative_to(staging).parts)
        os.replace(path, target)
        moved.append(target)
    return moved


def _write_report(result: AuditResult, out: Path, formats: list[str], templates: Path | None) -> list[Path]:
    """Write the whole report into the (new, empty) folder `out`."""
    from pipeaudit.read.limits import limit
    from pipeaudit.report.context import build_model
    from pipeaudit.report.naming import file_names, inside
    from pipeaudit.report.texts import load_texts

    texts = load_texts(result.lang, templates)
    model = build_model(result, texts)
    max_reps = limit("MAX_REPS")
    if len(model["reps"]) > max_reps:
        raise ConfigError(
            f"{len(model['reps']):,} reps is more than {max_reps:,} pages per report (PIPEAUDIT_MAX_REPS);"
            " use --rep OWNER or check the owner column / 销售人数超过报告上限，请用 --rep 或检查负责人列"
        )
    stems = file_names([r["owner"] for r in model["reps"]], blank=model["L"]["no_owner"])
    for rep in model["reps"]:
        rep["stem"] = stems[rep["owner"]]
    by_owner = {r["owner"]: r for r in model["reps"]}
    for d in model["help_deals"]:
        d["owner_display"] = by_owner[d["owner"]]["display"] if d["owner"] in by_owner else d["owner"]

    from pipeaudit.report.index import write_index

    written: list[Path] = []
    text_formats = [f for f in formats if f in ("html", "md")]
    if text_formats:
        from pipeaudit.report.environment import amount_filter, make_environment, render
        from pipeaudit.report.meeting import PLAN_BLANK_ROWS
        from pipeaudit.report.pictures import add_charts

        env = make_environment(templates)
        env.filters["amt"] = amount_filter(model["unit_div"])
        add_charts(model)
        for ext in text_formats:
            for rep in model["reps"]:
                rep["href"] = f"reps/{rep['stem']}.{ext}"
            for d in model["help_deals"]:
                d["href"] = f"reps/{stems[d['owner']]}.{ext}" if d["owner"] in stems else ""
            common = {k: v for k, v in model.items() if k != "reps"}
            if model["reps"]:
                (out / "reps").mkdir(exist_ok=True)
            for rep in model["reps"]:
                path = inside(out, "reps", f"{rep['stem']}.{ext}")
                page = render(env, f"rep.{ext}.j2", rep=rep, summary_href=f"../summary.{ext}",
                              plan_blank_rows=PLAN_BLANK_ROWS, **common)
                _write_new(path, page)
                written.append(path)
            path = inside(out, f"summary.{ext}")
            _write_new(path, render(env, f"summary.{ext}.j2", reps=model["reps"], **common))
            written.append(path)
    if "xlsx" in formats:
        from pipeaudit.report.workbook import write_workbook

        written.append(write_workbook(model, inside(out, "report.xlsx")))
    written.append(write_index(model, out, formats))
    return written


def _write_new(path: Path, text: str) -> None:
    """A page in the staging folder: a new file (0666 less the umask), UTF-8."""
    try:
        with open(path, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror or exc}) / 无法写入") from None
