"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""

import re

# Control (C0, DEL, C1), line/paragraph-separator and bidi characters: text from the data shown on a
# terminal (an error, a table, a heading) must not split a line, drive the terminal or reorder what
# is shown. Written so that both Python's re and RE2 (Arrow's string kernels) read it the same way:
# \xhh escapes below U+0100, the characters themselves above.
UNSAFE_PATTERN = "[\\x00-\\x1f\\x7f-\\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_UNSAFE = re.compile(UNSAFE_PATTERN)


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """The text with each unsafe character written as a visible escape (\\x1b, \\u202e).

    The escapes are printable ASCII, so applying it twice changes nothing."""
    return _UNSAFE.sub(_escape, str(text))


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
