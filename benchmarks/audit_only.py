"""Bench-only entry point: `pipeaudit ARGS...` with the rendering of the findings replaced.

    python benchmarks/audit_only.py check FILE --format json --output OUT ...

The command runs exactly as the console script does (option parsing, settings, read, deals, rules,
evaluate, the exit code), except that `pipeaudit.formats.render` writes nothing: it prints the
number of findings to stderr instead, which the bench reports. Against `check -o /dev/null`
(renders, writes nowhere) and `check -o FILE` (renders and writes), this splits a check's time into
audit, rendering and the write. Not a CLI flag: a user has no use for an audit that says nothing.
"""

import sys

from pipeaudit.runtime import prefer_small_pages

prefer_small_pages()  # as the console script does, before pipeaudit.formats imports numpy
import pipeaudit.formats as formats  # noqa: E402


def _count(result, fmt, stream, **kwargs) -> None:
    print(f"findings {len(result.findings)}", file=sys.stderr)


formats.render = _count  # commands.check imports render from pipeaudit.formats when it runs

if __name__ == "__main__":
    from pipeaudit.cli import main

    sys.argv[0] = "pipeaudit"
    main()
