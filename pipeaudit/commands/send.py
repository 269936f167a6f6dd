"""`pipeaudit send REPORT_DIR`: deliver a written report (and `report ... --send`, which calls this).

Exit codes: 0 every message sent (or already sent this week), 1 some failed (named in the last
line), 2 a usage, config or input error before anything was sent.
"""

from __future__ import annotations

from pathlib import Path

import typer


def run(report_dir: Path, *, config: Path | None, recipients: Path | None = None, dry_run: bool = False,
        resend: bool = False, history: Path | None = None) -> int:
    from pipeaudit.config import load_config
    from pipeaudit.send import deliver

    cfg = load_config(config)
    outcome = deliver(Path(report_dir), cfg, recipients_file=recipients, dry_run=dry_run, resend=resend,
                      history=history, echo=typer.echo)
    return outcome.code
