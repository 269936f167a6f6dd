"""Errors a user can fix. The CLI turns each into one line on stderr and exit code 2."""


class PipeauditError(Exception):
    """Base class: the message is shown to the user as-is, on one line."""


class InputError(PipeauditError):
    """The export file cannot be read as a deal table (missing, corrupt, protected, no header...)."""


class ConfigError(PipeauditError):
    """pipeaudit.yaml / [tool.pipeaudit] or a command-line option is invalid."""


class RuleError(PipeauditError):
    """A rule pack is not valid YAML or does not fit the rule schema."""


class HistoryError(PipeauditError):
    """The history database is corrupt, foreign, or cannot be written."""
