"""`pipeaudit hook EXPORT...`: `check` for each export a pre-commit hook (or a CI step) passes.

pre-commit hands a hook every changed file at once; `check` audits one export. This runs `check`
on each, under a heading per file in text, and exits with the worst outcome: 2 when an export
cannot be read (that export's one-line reason is printed and the others still run), else 1 when
any export has findings at or above --fail-on, else 0.
"""

from __future__ import annotations

from pipeaudit.errors import PipeauditError
from pipeaudit.i18n import both
from pipeaudit.options import AuditOptions
from pipeaudit.terminal import echo

FORMATS = ("text", "github")  # formats whose outputs can follow one another on one stream


def run(exports: list[AuditOptions], *, fmt: str = "text", fail_on: str | None = None) -> int:
    from pipeaudit.commands.check import run as check

    if fmt not in FORMATS:
        raise PipeauditError(f"--format {fmt!r}: " + both("hook.format"))
    worst = 0
    for opts in exports:
        if fmt == "text" and len(exports) > 1:
            echo(f"== {opts.path}")
        try:
            code = check(opts, fmt=fmt, fail_on=fail_on)
        except PipeauditError as exc:
            echo(f"pipeaudit: {exc}", err=True)
            code = 2
        worst = max(worst, code)
    return worst
