"""The command line: parse options, call the library, map errors to exit codes. No logic here.

Heavy modules (pandas, openpyxl, jinja2) are imported inside the command bodies so that
`pipeaudit --help` and `--version` stay instant.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 a usage, config,
rule or input error (one line on stderr, never a traceback); 3 an internal error (a bug).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeaudit import __version__

# rich_markup_mode=None: plain (click) help and usage errors. Typer's rich formatting imports
# rich and markdown_it, about 40% of `pipeaudit --help`; the help text reads the same without it.
app = typer.Typer(
    name="pipeaudit",
    help="Audit CRM deal exports against the sales method; print the Monday 过堂 sheets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="List, explain and validate rules.", no_args_is_help=True, rich_markup_mode=None)
history_app = typer.Typer(
    help="Inspect and prune the week-over-week history database, and learn from it.", no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(rules_app, name="rules")
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pipeaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Audit CRM deal exports against the sales method; print the Monday 过堂 sheets."""


# ---- shared option types ------------------------------------------------------------

FileArg = Annotated[Path, typer.Argument(metavar="EXPORT", help="The CRM export: .xlsx .xlsm .xls .ods .csv .tsv .txt")]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", metavar="SHEET", help="Sheet name or 0-based index (default: best match).")]
MapOpt = Annotated[
    Optional[list[str]], typer.Option("--map", metavar="FIELD=HEADER", help="Map a field to a header: field=Header (repeatable).")
]
ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", metavar="FILE", help="Config file (default: pipeaudit.yaml or pyproject.toml, searched upwards).")
]
RulesOpt = Annotated[
    Optional[list[Path]], typer.Option("--rules", metavar="FILE|DIR", help="Extra rule pack: a YAML file or a folder (repeatable).")
]
NoDefaultOpt = Annotated[bool, typer.Option("--no-default-rules", help="Do not load the built-in rule packs.")]
SelectOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--select", metavar="RULES",
        help="Only these rules: a name, a code (PA101), a code prefix (PA1) or a pack (method); repeatable or a,b.",
    ),
]
RequireOpt = Annotated[
    Optional[list[str]],
    typer.Option("--require", metavar="RULES", help="Exit 2 when one of these rules cannot run on this export (a CI gate)."),
]
IgnoreOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--ignore", metavar="RULES",
        help="Skip these rules: a name, a code, a code prefix (PA2) or a pack (hygiene); repeatable or a,b. Wins over --select.",
    ),
]
RepOpt = Annotated[Optional[str], typer.Option("--rep", metavar="OWNER", help="Only this owner's deals.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", metavar="DATE", help="Audit as of YYYY-MM-DD (default: today).")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", metavar="zh|en", help="zh or en (default: the export's header language).")]
#: --lang of a command that reads no export (plan, rules): i18n.default_lang decides without it
NoExportLangOpt = Annotated[
    Optional[str], typer.Option("--lang", metavar="zh|en", help="zh or en (default: the config's lang:, else the locale, else en).")
]
BaselineOpt = Annotated[
    Optional[Path], typer.Option("--baseline", metavar="EXPORT", help="Last week's export, to report what changed.")
]
HistoryOpt = Annotated[
    Optional[Path], typer.Option("--history", metavar="DB", help="SQLite file that keeps every week's deals.")
]
QuotasOpt = Annotated[Optional[Path], typer.Option("--quotas", metavar="FILE", help="CSV/XLSX with rep and target columns.")]
FollowOpt = Annotated[
    bool, typer.Option("--follow-symlinks", help="Write through a symbolic link given as the output (refused by default).")
]
RecipientsOpt = Annotated[
    Optional[Path],
    typer.Option("--recipients", metavar="FILE", help="CSV/XLSX of name, email, chat, role (instead of the config's reps:)."),
]


def _audit_options(**kw):
    from pipeaudit.options import AuditOptions, parse_date, parse_maps, split_names

    from pipeaudit.i18n import parse_lang

    lang = parse_lang(kw.pop("lang"))
    return AuditOptions(
        path=kw["path"],
        sheet=kw["sheet"],
        maps=parse_maps(kw["maps"]),
        config=kw["config"],
        rules=list(kw["rules"] or []),
        default_rules=not kw["no_default_rules"],
        select=split_names(kw["select"]),
        ignore=split_names(kw["ignore"]),
        rep=kw["rep"],
        as_of=parse_date(kw["as_of"], "--as-of"),
        lang=lang,
        baseline=kw["baseline"],
        history=kw["history"],
        quotas=kw["quotas"],
        follow_symlinks=kw.get("follow_symlinks", False),
        require=split_names(kw.get("require")),
        record=kw.get("record"),
    )


def _say(message: str) -> None:
    """One line on stderr, through the terminal's one output function (escapes visible, any encoding)."""
    from pipeaudit.errors import one_line
    from pipeaudit.terminal import echo

    echo(one_line(message), err=True)


def _run(fn, *args, **kwargs) -> None:
    """Call a command body; turn user errors into one line + exit 2, bugs into one line + exit 3."""
    from pipeaudit.errors import PipeauditError

    try:
        code = fn(*args, **kwargs)
    except PipeauditError as exc:
        _say(f"pipeaudit: {exc}")
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # `pipeaudit rules list | head`: the reader left; that is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except MemoryError:
        from pipeaudit.i18n import both

        _say("pipeaudit: " + both("cli.out_of_memory"))
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug: still no traceback for the user unless asked for
        if os.environ.get("PIPEAUDIT_DEBUG"):
            raise
        _say(f"pipeaudit: internal error: {type(exc).__name__}: {exc} (set PIPEAUDIT_DEBUG=1 for details)")
        raise typer.Exit(3) from None
    raise typer.Exit(code or 0)


# ---- commands -----------------------------------------------------------------------


@app.command()
def check(
    path: FileArg,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    require: RequireOpt = None,
    rep: RepOpt = None,
    as_of: AsOfOpt = None,
    fail_on: Annotated[
        Optional[str], typer.Option("--fail-on", metavar="LEVEL", help="error|warning|info|never (default: error).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|json|csv|junit|github")] = "text",
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write here (atomically) instead of stdout; - is stdout.")
    ] = None,
    follow_symlinks: FollowOpt = False,
    sheet: SheetOpt = None,
    maps: MapOpt = None,
    lang: LangOpt = None,
    baseline: BaselineOpt = None,
    history: HistoryOpt = None,
    quotas: QuotasOpt = None,
    record: Annotated[
        bool, typer.Option("--record", help="Store this week in the history of --history or the config's history:"
                                            " (report always does; check otherwise only with --history given here).")
    ] = False,
    bom: Annotated[
        Optional[bool], typer.Option("--bom/--no-bom", help="csv: start with a UTF-8 byte-order mark so Excel and WPS"
                                                           " read Chinese (default: on for csv, also on stdout).")
    ] = None,
) -> None:
    """Check every deal against the rules. Exit 0 clean, 1 findings, 2 bad input."""

    def body():
        from pipeaudit.commands.check import run

        opts = _audit_options(
            path=path, sheet=sheet, maps=maps, config=config, rules=rules, no_default_rules=no_default_rules,
            select=select, ignore=ignore, rep=rep, as_of=as_of, lang=lang, baseline=baseline,
            history=history, quotas=quotas, follow_symlinks=follow_symlinks, require=require, record=True if record else None,
        )
        return run(opts, fmt=fmt, fail_on=fail_on, output=output, bom=bom)

    _run(body)


@app.command("hook", short_help="check, for each export a pre-commit hook passes.")
def hook(
    paths: Annotated[list[Path], typer.Argument(metavar="EXPORT...", help="Exports to check, one after the other.")],
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    require: RequireOpt = None,
    as_of: AsOfOpt = None,
    fail_on: Annotated[
        Optional[str], typer.Option("--fail-on", metavar="LEVEL", help="error|warning|info|never (default: error).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|github")] = "text",
    lang: LangOpt = None,
) -> None:
    """Run `check` on every export given (what pre-commit passes: see .pre-commit-hooks.yaml).

    Exit 2 if any export cannot be read, else 1 if any has findings at or above --fail-on, else 0."""

    def body():
        from pipeaudit.commands.hook import run

        return run(
            [
                _audit_options(path=p, sheet=None, maps=None, config=config, rules=rules, no_default_rules=no_default_rules,
                               select=select, ignore=ignore, rep=None, as_of=as_of, lang=lang, baseline=None,
                               history=None, quotas=None, require=require)
                for p in paths
            ],
            fmt=fmt, fail_on=fail_on,
        )

    _run(body)


@app.command(short_help="Write every rep's 过堂 sheet and the team summary.")
def report(
    path: FileArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for summary and per-rep sheets.")] = Path("pipeaudit-report"),
    fmt: Annotated[
        Optional[list[str]], typer.Option("--format", help="html|md|xlsx (repeatable or comma-separated; default html).")
    ] = None,
    templates: Annotated[
        Optional[Path], typer.Option("--templates", help="Folder of your own templates (override by name).")
    ] = None,
    follow_symlinks: FollowOpt = False,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    require: RequireOpt = None,
    rep: RepOpt = None,
    as_of: AsOfOpt = None,
    sheet: SheetOpt = None,
    maps: MapOpt = None,
    lang: LangOpt = None,
    baseline: BaselineOpt = None,
    history: HistoryOpt = None,
    quotas: QuotasOpt = None,
    send: Annotated[
        bool, typer.Option("--send", help="Then deliver it: each rep their sheet, managers the summary (see `send`).")
    ] = False,
    recipients: RecipientsOpt = None,
) -> None:
    """Write the 过堂 sheet of every rep and the team summary (html, md, xlsx); --send delivers them."""

    def body():
        from pipeaudit.commands.report import run
        from pipeaudit.options import split_names

        opts = _audit_options(
            path=path, sheet=sheet, maps=maps, config=config, rules=rules, no_default_rules=no_default_rules,
            select=select, ignore=ignore, rep=rep, as_of=as_of, lang=lang, baseline=baseline,
            history=history, quotas=quotas, follow_symlinks=follow_symlinks, require=require, record=True,
        )
        return run(opts, out=out, formats=split_names(fmt) or ["html"], templates=templates, send=send,
                   recipients=recipients)

    _run(body)


@app.command(short_help="Deliver a written report: each rep their own sheet, managers the summary.")
def send(
    report_dir: Annotated[Path, typer.Argument(metavar="REPORT_DIR", help="A folder written by `pipeaudit report`.")],
    config: ConfigOpt = None,
    recipients: RecipientsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write every message to REPORT_DIR/outbox/ (.eml, .json); send nothing.")
    ] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Send again what was already sent for this week.")] = False,
    history: HistoryOpt = None,
) -> None:
    """Deliver a written report by e-mail and/or team chat, as the config's send: section says.

    Each rep gets only their own sheet, managers the summary; a rep with no address is listed.
    What was sent is recorded per week and recipient, so running twice sends once.
    Exit 0 all sent, 1 some failed, 2 bad input or config."""

    def body():
        from pipeaudit.commands.send import run

        return run(report_dir, config=config, recipients=recipients, dry_run=dry_run, resend=resend, history=history)

    _run(body)


@app.command(short_help="Show how headers map to fields, and the stage ladder.")
def columns(
    path: FileArg,
    sheet: SheetOpt = None,
    maps: MapOpt = None,
    config: ConfigOpt = None,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|json")] = "text",
) -> None:
    """Show which header became which field and how, what is unmapped or undecided, the stage
    ladder, how dates are read and the rows skipped."""

    def body():
        from pipeaudit.commands.columns import run
        from pipeaudit.options import AuditOptions, parse_maps

        opts = AuditOptions(
            path=path, sheet=sheet, maps=parse_maps(maps), config=config,
            rules=list(rules or []), default_rules=not no_default_rules,
        )
        return run(opts, fmt=fmt)

    _run(body)


@app.command(short_help="Write a commented pipeaudit.yaml from what an export shows.")
def init(
    path: FileArg,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Where to write (default: pipeaudit.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    sheet: SheetOpt = None,
    maps: MapOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write a commented pipeaudit.yaml with every header and its field, the stage ladder and the
    date order inferred from EXPORT, for you to correct. Never overwrites without --force."""

    def body():
        from pipeaudit.commands.init import run
        from pipeaudit.options import ReadOptions, parse_maps

        return run(ReadOptions(path=path, sheet=sheet, maps=parse_maps(maps), config=config), output=output, force=force)

    _run(body)


@app.command(short_help="Work a target backwards into the funnel it needs.")
def plan(
    target: Annotated[Optional[str], typer.Option("--target", help="Contract value to reach: 800000, 80万, 1.2亿.")] = None,
    mix: Annotated[
        Optional[str], typer.Option("--mix", help="Contract mix, e.g. 150000x2,100000x3,50000x4.")
    ] = None,
    avg_deal: Annotated[Optional[str], typer.Option("--avg-deal", help="Average contract size (instead of --mix): 150000 or 15万.")] = None,
    weeks: Annotated[Optional[float], typer.Option("--weeks", help="Working weeks in the period.")] = None,
    ratios: Annotated[
        Optional[str], typer.Option("--ratios", help="Step ratios: negotiations/contract, demos/negotiation, first visits/demo, leads/first visit.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text|json")] = "text",
    lang: NoExportLangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Work a target backwards into contracts, negotiations, demos, first visits and leads."""

    def body():
        from pipeaudit.commands.plan import run

        return run(target=target, mix=mix, avg_deal=avg_deal, weeks=weeks, ratios=ratios, fmt=fmt, lang=lang, config=config)

    _run(body)


@rules_app.command("list", short_help="Every rule: name, severity, the deals it applies to.")
def rules_list(
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    lang: NoExportLangOpt = None,
) -> None:
    """Every rule: name, severity, the deals it applies to, one line on what it checks."""

    def body():
        from pipeaudit.commands.rules import run_list

        return run_list(rules=list(rules or []), default_rules=not no_default_rules, config=config, lang=lang)

    _run(body)


@rules_app.command("show", short_help="What a rule checks and why it matters.")
def rules_show(
    name: Annotated[str, typer.Argument(help="Rule name (or code).")],
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    lang: NoExportLangOpt = None,
) -> None:
    """What a rule checks, why it matters in the method, its questions and an example."""

    def body():
        from pipeaudit.commands.rules import run_show

        return run_show(name, rules=list(rules or []), default_rules=not no_default_rules, config=config, lang=lang)

    _run(body)


FieldsFormatOpt = Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|json")]


@rules_app.command("fields", short_help="Every field a rule may name, its headers and the rules reading it.")
def rules_fields(
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    lang: NoExportLangOpt = None,
    fmt: FieldsFormatOpt = "text",
) -> None:
    """Every field a rule may name: kind, label, the export headers that map to it, the loaded rules that read it."""

    def body():
        from pipeaudit.commands.rules import run_fields

        return run_fields(rules=list(rules or []), default_rules=not no_default_rules, config=config, lang=lang, fmt=fmt)

    _run(body)


@rules_app.command("operators", short_help="Every condition operator with an example, and the five phases.")
def rules_operators(fmt: FieldsFormatOpt = "text") -> None:
    """Every condition operator of `where:` with what it means and a YAML example; the five
    ladder-neutral phases for `stage:` and `applies_to.phase`."""

    def body():
        from pipeaudit.commands.rules import run_operators

        return run_operators(fmt=fmt)

    _run(body)


@rules_app.command("validate")
def rules_validate(
    paths: Annotated[list[Path], typer.Argument(help="Rule files or folders to validate.")],
) -> None:
    """Validate rule packs (schema, names, examples). Exit 0 when valid, 2 when not."""

    def body():
        from pipeaudit.commands.rules import run_validate

        return run_validate(paths)

    _run(body)


DbOpt = Annotated[Optional[Path], typer.Option("--history", "--db", metavar="DB", help="The history database (SQLite).")]


@history_app.command("list")
def history_list(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """The weeks stored, with deal counts and pipeline amount."""

    def body():
        from pipeaudit.commands.history import run_list

        return run_list(db=db, config=config)

    _run(body)


@history_app.command("show")
def history_show(
    deal: Annotated[str, typer.Argument(help="Deal id or name.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """One deal week by week: stage, class, amount, close date."""

    def body():
        from pipeaudit.commands.history import run_show

        return run_show(deal, db=db, config=config)

    _run(body)


@history_app.command("prune")
def history_prune(
    before: Annotated[Optional[str], typer.Option("--before", help="Drop weeks before YYYY-MM-DD.")] = None,
    week: Annotated[
        Optional[str], typer.Option("--week", help="Drop this one week, as `history list` shows it (even one that cannot be read).")
    ] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Delete stored weeks older than a date, or one week."""

    def body():
        from pipeaudit.commands.history import run_prune

        return run_prune(before=before, week=week, db=db, config=config)

    _run(body)


HistoryFormatOpt = Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|json")]
HistoryAsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", metavar="DATE", help="Use the weeks up to YYYY-MM-DD (default: the latest stored).")
]


@history_app.command("norms")
def history_norms(db: DbOpt = None, config: ConfigOpt = None, as_of: HistoryAsOfOpt = None, fmt: HistoryFormatOpt = "text") -> None:
    """Stage dwell learned from the stored weeks: median and 80th percentile days per stage and ladder."""

    def body():
        from pipeaudit.commands.history import run_norms

        return run_norms(db=db, config=config, as_of=as_of, fmt=fmt)

    _run(body)


@history_app.command("funnel")
def history_funnel(db: DbOpt = None, config: ConfigOpt = None, as_of: HistoryAsOfOpt = None, fmt: HistoryFormatOpt = "text") -> None:
    """Stage-to-stage conversion, win rate and time to close, per rep and team."""

    def body():
        from pipeaudit.commands.history import run_funnel

        return run_funnel(db=db, config=config, as_of=as_of, fmt=fmt)

    _run(body)


@history_app.command("accuracy")
def history_accuracy(
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_of: HistoryAsOfOpt = None,
    fmt: HistoryFormatOpt = "text",
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back the call was made (default 4).")] = 4,
    basis: Annotated[str, typer.Option("--basis", metavar="auto|commit|class", help="Commit category or A-class (default: auto).")] = "auto",
) -> None:
    """Forecast accuracy per rep: what was in Commit (or A-class) weeks ago against what was won since."""

    def body():
        from pipeaudit.commands.history import run_accuracy

        return run_accuracy(db=db, config=config, as_of=as_of, fmt=fmt, weeks_back=weeks, basis=basis)

    _run(body)


@history_app.command("backtest")
def history_backtest(
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_of: HistoryAsOfOpt = None,
    fmt: HistoryFormatOpt = "text",
    horizon: Annotated[int, typer.Option("--horizon", help="Weeks after a flag in which a loss or a push counts (default 4).")] = 4,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
) -> None:
    """For each rule: how often the deals it flagged were lost or slipped, against the deals it did not flag."""

    def body():
        from pipeaudit.commands.history import run_backtest

        return run_backtest(db=db, config=config, as_of=as_of, fmt=fmt, horizon=horizon, rules=list(rules or []),
                            default_rules=not no_default_rules)

    _run(body)


def main() -> None:
    """The console script. Usage errors from the parser (a missing argument, an unknown option or
    command, a value of the wrong type) are one line and exit 2, like every other error."""
    from pipeaudit.terminal import tolerant

    tolerant(sys.stdout)  # a cp1252 or ASCII stdout gets '?' for what it cannot show, not exit 3
    tolerant(sys.stderr)
    errors = _click_exceptions()
    try:
        code = app(prog_name="pipeaudit", standalone_mode=False)
    except errors.NoArgsIsHelpError as exc:  # `pipeaudit` alone: the help, as before
        exc.show()
        code = exc.exit_code
    except errors.ClickException as exc:
        code = _usage_error(exc)
    except (typer.Abort, errors.Abort):  # end of input at a prompt
        from pipeaudit.i18n import both

        _say("pipeaudit: " + both("cli.aborted"))
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


def _click_exceptions():
    """click's exception classes: typer vendors click (typer._click) in recent versions."""
    try:
        from typer._click import exceptions
    except ImportError:  # an older typer on top of click
        from click import exceptions
    return exceptions


def _usage_error(exc) -> int:
    """Print a click error as one line naming the command; the exit code (2 for usage errors)."""
    ctx = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    from pipeaudit.i18n import both

    _say("pipeaudit: " + both("cli.usage", message=exc.format_message(), where=where))
    return exc.exit_code if exc.exit_code in (1, 2) else 2


if __name__ == "__main__":  # pragma: no cover
    main()
