"""The options the commands share, as typed annotations, and AuditOptions built from them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

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
FailOnOpt = Annotated[
    Optional[str], typer.Option("--fail-on", metavar="LEVEL", help="error|warning|info|never (default: error).")
]
TextJsonFormatOpt = Annotated[str, typer.Option("--format", metavar="FORMAT", help="text|json")]
FollowOpt = Annotated[
    bool, typer.Option("--follow-symlinks", help="Write through a symbolic link given as the output (refused by default).")
]
RecipientsOpt = Annotated[
    Optional[Path],
    typer.Option("--recipients", metavar="FILE", help="CSV/XLSX of name, email, chat, role (instead of the config's reps:)."),
]


def audit_options(**kw):
    from pipeaudit.i18n import parse_lang
    from pipeaudit.options import AuditOptions, parse_date, parse_maps, split_names

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


