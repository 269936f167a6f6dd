"""Run a command body: user errors become one line and exit 2, bugs one line and exit 3."""

from __future__ import annotations

import os
import sys

import typer


def say(message: str) -> None:
    """One line on stderr, through the terminal's one output function (escapes visible, any encoding)."""
    from pipeaudit.errors import one_line
    from pipeaudit.terminal import echo

    echo(one_line(message), err=True)


def run_body(fn, *args, **kwargs) -> None:
    """Call a command body; turn user errors into one line + exit 2, bugs into one line + exit 3."""
    from pipeaudit.errors import PipeauditError

    try:
        code = fn(*args, **kwargs)
    except PipeauditError as exc:
        say(f"pipeaudit: {exc}")
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # `pipeaudit rules list | head`: the reader left; that is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except MemoryError:
        from pipeaudit.i18n import both

        say("pipeaudit: " + both("cli.out_of_memory"))
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug: still no traceback for the user unless asked for
        if os.environ.get("PIPEAUDIT_DEBUG"):
            raise
        say(f"pipeaudit: internal error: {type(exc).__name__}: {exc} (set PIPEAUDIT_DEBUG=1 for details)")
        raise typer.Exit(3) from None
    raise typer.Exit(code or 0)


