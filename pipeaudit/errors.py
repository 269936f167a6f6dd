"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""


import re

# Line breaks and terminal control characters: data quoted in a message (a cell, a header, a YAML
# snippet) must not split the one-line error or drive the user's terminal.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """The message with line breaks folded into spaces and other control characters made visible."""
    folded = re.sub(r"\s*[\r\n\u2028\u2029]+\s*", " ", text.strip())
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", folded.replace("\t", " "))


class PipeauditError(Exception):
    """Base class: the message is shown to the user as-is, on one line."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(one_line(str(message)), *args)


class InputError(PipeauditError):
    """The export file cannot be read as a deal table (missing, corrupt, protected, no header...)."""


class ConfigError(PipeauditError):
    """pipeaudit.yaml / [tool.pipeaudit] or a command-line option is invalid."""


class RuleError(PipeauditError):
    """A rule pack is not valid YAML or does not fit the rule schema."""


class HistoryError(PipeauditError):
    """The history database is corrupt, foreign, or cannot be written."""
