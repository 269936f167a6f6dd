"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""

import re

# Control, line-separator and bidi characters: text from the data shown on a terminal (in an error
# or the columns report) must not split a line, drive the terminal or reorder what is shown.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """The text with each unsafe character written as a visible escape (\\x1b, \\u202e)."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                       str(text))


#: A message longer than this keeps its start (file, line, what is wrong) and its end (the hint and
#: the Chinese half) around an ellipsis: values in messages are cut where they are shown, this is
#: the backstop that keeps any error one readable line.
MAX_MESSAGE_CHARS = 1000


def one_line(text: str) -> str:
    """The message with line breaks folded into spaces and other unsafe characters made visible."""
    if len(text) > 4 * MAX_MESSAGE_CHARS:  # do not fold megabytes only to cut them
        text = text[: 3 * MAX_MESSAGE_CHARS] + " … " + text[-MAX_MESSAGE_CHARS:]
    folded = re.sub(r"\s*[\r\n\u2028\u2029]+\s*", " ", text.strip())
    shown = visible(folded.replace("\t", " "))
    if len(shown) > MAX_MESSAGE_CHARS:
        head = MAX_MESSAGE_CHARS * 7 // 10
        shown = shown[:head] + " … " + shown[-(MAX_MESSAGE_CHARS - head - 3):]
    return shown


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
