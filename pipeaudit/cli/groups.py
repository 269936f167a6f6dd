"""`pipeaudit rules ...` and `pipeaudit history ...`: the two command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pipeaudit.cli.options import ConfigOpt, NoDefaultOpt, NoExportLangOpt, RulesOpt, TextJsonFormatOpt
from pipeaudit.cli.run import run_body

rules_app = typer.Typer(help="List, explain and validate rules.", no_args_is_help=True, rich_markup_mode=None)
history_app = typer.Typer(
    help="Inspect and prune the week-over-week history database, and learn from it.", no_args_is_help=True,
    rich_markup_mode=None,
)


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

    run_body(body)


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

    run_body(body)




@rules_app.command("fields", short_help="Every field a rule may name, its headers and the rules reading it.")
def rules_fields(
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
    config: ConfigOpt = None,
    lang: NoExportLangOpt = None,
    fmt: TextJsonFormatOpt = "text",
) -> None:
    """Every field a rule may name: kind, label, the export headers that map to it, the loaded rules that read it."""

    def body():
        from pipeaudit.commands.rules import run_fields

        return run_fields(rules=list(rules or []), default_rules=not no_default_rules, config=config, lang=lang, fmt=fmt)

    run_body(body)


@rules_app.command("operators", short_help="Every condition operator with an example, and the five phases.")
def rules_operators(fmt: TextJsonFormatOpt = "text") -> None:
    """Every condition operator of `where:` with what it means and a YAML example; the five
    ladder-neutral phases for `stage:` and `applies_to.phase`."""

    def body():
        from pipeaudit.commands.rules import run_operators

        return run_operators(fmt=fmt)

    run_body(body)


@rules_app.command("validate")
def rules_validate(
    paths: Annotated[list[Path], typer.Argument(help="Rule files or folders to validate.")],
) -> None:
    """Validate rule packs (schema, names, examples). Exit 0 when valid, 2 when not."""

    def body():
        from pipeaudit.commands.rules import run_validate

        return run_validate(paths)

    run_body(body)


DbOpt = Annotated[Optional[Path], typer.Option("--history", "--db", metavar="DB", help="The history database (SQLite).")]


@history_app.command("list")
def history_list(db: DbOpt = None, config: ConfigOpt = None) -> None:
    """The weeks stored, with deal counts and pipeline amount."""

    def body():
        from pipeaudit.commands.history import run_list

        return run_list(db=db, config=config)

    run_body(body)


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

    run_body(body)


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

    run_body(body)


HistoryAsOfOpt = Annotated[
    Optional[str], typer.Option("--as-of", metavar="DATE", help="Use the weeks up to YYYY-MM-DD (default: the latest stored).")
]


@history_app.command("norms")
def history_norms(db: DbOpt = None, config: ConfigOpt = None, as_of: HistoryAsOfOpt = None, fmt: TextJsonFormatOpt = "text") -> None:
    """Stage dwell learned from the stored weeks: median and 80th percentile days per stage and ladder."""

    def body():
        from pipeaudit.commands.history import run_norms

        return run_norms(db=db, config=config, as_of=as_of, fmt=fmt)

    run_body(body)


@history_app.command("funnel")
def history_funnel(db: DbOpt = None, config: ConfigOpt = None, as_of: HistoryAsOfOpt = None, fmt: TextJsonFormatOpt = "text") -> None:
    """Stage-to-stage conversion, win rate and time to close, per rep and team."""

    def body():
        from pipeaudit.commands.history import run_funnel

        return run_funnel(db=db, config=config, as_of=as_of, fmt=fmt)

    run_body(body)


@history_app.command("accuracy")
def history_accuracy(
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_of: HistoryAsOfOpt = None,
    fmt: TextJsonFormatOpt = "text",
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back the call was made (default 4).")] = 4,
    basis: Annotated[str, typer.Option("--basis", metavar="auto|commit|class", help="Commit category or A-class (default: auto).")] = "auto",
) -> None:
    """Forecast accuracy per rep: what was in Commit (or A-class) weeks ago against what was won since."""

    def body():
        from pipeaudit.commands.history import run_accuracy

        return run_accuracy(db=db, config=config, as_of=as_of, fmt=fmt, weeks_back=weeks, basis=basis)

    run_body(body)


@history_app.command("backtest")
def history_backtest(
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_of: HistoryAsOfOpt = None,
    fmt: TextJsonFormatOpt = "text",
    horizon: Annotated[int, typer.Option("--horizon", help="Weeks after a flag in which a loss or a push counts (default 4).")] = 4,
    rules: RulesOpt = None,
    no_default_rules: NoDefaultOpt = False,
) -> None:
    """For each rule: how often the deals it flagged were lost or slipped, against the deals it did not flag."""

    def body():
        from pipeaudit.commands.history import run_backtest

        return run_backtest(db=db, config=config, as_of=as_of, fmt=fmt, horizon=horizon, rules=list(rules or []),
                            default_rules=not no_default_rules)

    run_body(body)


