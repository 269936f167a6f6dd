"""`pipeaudit report FILE --out DIR`: audit the export, then write the 过堂 sheets and the summary."""

from __future__ import annotations

from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both, in_both, t
from pipeaudit.options import AuditOptions
from pipeaudit.terminal import echo


def run(opts: AuditOptions, *, out: Path, formats: list[str], templates: Path | None, send: bool = False,
        recipients: Path | None = None) -> int:
    """Returns 0: a report is written whatever it finds; `check` is the gate. With `send`, the
    report is then delivered and the exit code is `pipeaudit send`'s (0 sent, 1 some failed)."""
    from pipeaudit.pipeline import run_audit
    from pipeaudit.report import check_formats, write_report
    from pipeaudit.runtime import cyclic_gc_paused

    formats = check_formats(formats)  # a typo fails before the export is read
    if send:  # a config that cannot deliver fails before the export is read, too
        from pipeaudit.config import load_config

        if load_config(opts.config).send is None:
            raise ConfigError("--send: " + both("report_cmd.no_send"))
    if templates is not None and not Path(templates).is_dir():
        raise ConfigError(f"--templates {templates}: " + both("report_cmd.templates_not_folder"))
    with cyclic_gc_paused():  # the audit's frames and records are no different (0.5 s of 100k deals)
        result = run_audit(opts)
        for line in result.warnings:
            echo(f"pipeaudit: warning: {line}", err=True)
        written = write_report(result, Path(out), formats, templates, follow_symlinks=opts.follow_symlinks)

    out = Path(out)
    summaries = [p for p in written if p.parent == out.resolve() and p.name.startswith("summary.")]
    pages = [p for p in written if p.parent.name == "reps"]
    workbook = [p for p in written if p.suffix == ".xlsx"]
    # The first line starts with a timestamp and the last says what the week held: `>> pipeaudit.log`
    # from cron then reads week by week with `grep summary`.
    echo(f"{_now()} pipeaudit: " + both("report_cmd.written", folder=f"{out}/"))
    for p in summaries:
        echo(f"  {out / p.name}")
    if pages:
        exts = sorted({p.suffix for p in pages})
        reps = len(pages) // max(1, len(exts))
        echo(f"  {out / 'reps'}/  (" + both("report_cmd.rep_pages", n=reps, formats=", ".join(exts)) + ")")
    for p in workbook:
        echo(f"  {out / p.name}")
    echo(summary_line(result, len({p.stem for p in pages})))
    if send:
        from pipeaudit.commands.send import run as send_run

        return send_run(out, config=opts.config, recipients=recipients, history=opts.history)
    return 0


def _now() -> str:
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")


def summary_line(result, reps: int) -> str:
    """One line: the week as of, reps, open deals and amount, findings by severity, history kept."""
    from pipeaudit.findings import summarize

    s = summarize(result)
    f = s["findings"]
    history = result.extras.get("history") if isinstance(result.extras, dict) else None
    kept = ("report_cmd.history_stored" if history.get("recorded") else "report_cmd.history_read") if history else None
    return in_both(lambda lang: t(
        "report_cmd.summary", lang, as_of=str(result.as_of), reps=reps, open=int(s["open_deals"]),
        amount=f"{s['open_amount']:,.0f}", errors=int(f["error"]), warnings=int(f["warning"]), infos=int(f["info"]),
        kept=t(kept, lang) if kept else "",
    ))
