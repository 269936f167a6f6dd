"""The command line: parse options, call the library, map errors to exit codes. No logic here.

Heavy modules (pandas, openpyxl, jinja2) are imported inside the command bodies so that
`pipeaudit --help` and `--version` stay instant.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 a usage, config,
rule or input error (one line on stderr, never a traceback); 3 an internal error (a bug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeaudit import __version__
from pipeaudit.cli.groups import history_app, rules_app
from pipeaudit.cli.options import (
    AsOfOpt,
    BaselineOpt,
    ConfigOpt,
    FailOnOpt,
    FileArg,
    FollowOpt,
    HistoryOpt,
    IgnoreOpt,
    LangOpt,
    MapOpt,
    NoDefaultOpt,
    NoExportLangOpt,
    QuotasOpt,
    RecipientsOpt,
    RepOpt,
    RequireOpt,
    RulesOpt,
    SelectOpt,
    SheetOpt,
    TextJsonFormatOpt,
    audit_options,
)
from pipeaudit.cli.run import run_body, say

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
    fail_on: FailOnOpt = None,
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

        opts = audit_options(
            path=path, sheet=sheet, maps=maps, config=config, rules=rules, no_default_rules=no_default_rules,
            select=select, ignore=ignore, rep=rep, as_of=as_of, lang=lang, baseline=baseline,
            history=history, quotas=quotas, follow_symlinks=follow_symlinks, require=require, record=True if record else None,
        )
        return run(opts, fmt=fmt, fail_on=fail_on, output=output, bom=bom)

    run_body(body)


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
    fail_on: FailOnOpt = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|github")] = "text",
    lang: LangOpt = None,
) -> None:
    """Run `check` on every export given (what pre-commit passes: see .pre-commit-hooks.yaml).

    Exit 2 if any export cannot be read, else 1 if any has findings at or above --fail-on, else 0."""

    def body():
        from pipeaudit.commands.hook import run

        return run(
            [
                audit_options(path=p, sheet=None, maps=None, config=config, rules=rules, no_default_rules=no_default_rules,
                               select=select, ignore=ignore, rep=None, as_of=as_of, lang=lang, baseline=None,
                               history=None, quotas=None, require=require)
                for p in paths
            ],
            fmt=fmt, fail_on=fail_on,
        )

    run_body(body)


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

        opts = audit_options(
            path=path, sheet=sheet, maps=maps, config=config, rules=rules, no_default_rules=no_default_rules,
            select=select, ignore=ignore, rep=rep, as_of=as_of, lang=lang, baseline=baseline,
            history=history, quotas=quotas, follow_symlinks=follow_symlinks, require=require, record=True,
        )
        return run(opts, out=out, formats=split_names(fmt) or ["html"], templates=templates, send=send,
                   recipients=recipients)

    run_body(body)


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

    run_body(body)


@app.command(short_help="Show how headers map to fields, and the stage ladder.")
def columns(
    path: FileArg,
    sheet: SheetOpt = None,
    maps: MapOpt = None,
    config: ConfigOpt = None,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    fmt: TextJsonFormatOpt = "text",
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

    run_body(body)


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

    run_body(body)


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

    run_body(body)


def main() -> None:
    """The console script. Usage errors from the parser (a missing argument, an unknown option or
    command, a value of the wrong type) are one line and exit 2, like every other error."""
    from pipeaudit.runtime import prefer_small_pages
    from pipeaudit.terminal import tolerant

    prefer_small_pages()  # before anything imports numpy
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

        say("pipeaudit: " + both("cli.aborted"))
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

    say("pipeaudit: " + both("cli.usage", message=exc.format_message(), where=where))
    return exc.exit_code if exc.exit_code in (1, 2) else 2


if __name__ == "__main__":  # pragma: no cover
    main()
