"""The Jinja environment: sandboxed, autoescaping HTML, with a user's templates taking precedence.

Always sandboxed, so a template someone hands around cannot reach Python internals; autoescape on
for .html templates so nothing from the data becomes markup. A user's templates folder is read
only through `user_file`: a template (or labels file) must be a regular file whose real path lies
inside the folder, so a symbolic link in it cannot include /etc/passwd or a device.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from pipeaudit.errors import ConfigError
from pipeaudit.resources import data_dir

_MD_LEAD = re.compile(r"^([#>+\-*=|`~]|\d+[.)])")
_MD_SPECIAL = re.compile(r"[\\|\r\n&<>`*_\[\]]")  # what md_cell rewrites
_MD_BREAKS = re.compile(r"[\r\n]+")


def money(value) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.0f}"


def amount_text(value, div: float = 1.0) -> str:
    """An amount in the report's unit (div: 1e4 for 万): whole numbers from 100 up, else one decimal."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "—"
    v = float(value) / div
    if div == 1 or abs(v) >= 100:
        return f"{v:,.0f}"
    text = f"{v:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def amount_filter(div: float):
    """The template filter `amt` for one report: amounts in its unit."""
    return lambda value: amount_text(value, div)


def fmt_date(value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value in (None, "") else str(value)


def weeks(value) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:.1f}"


def text(value) -> str:
    """Blank shows as a dash, so an empty cell reads as 'missing' rather than a layout glitch."""
    if value is None or value != value or (isinstance(value, str) and not value.strip()):
        return "—"
    return str(value)


def md_cell(value) -> str:
    """One Markdown table cell: no pipes, no line breaks, no leading markup, no raw HTML."""
    s = text(value)
    if _MD_SPECIAL.search(s):  # most text has none of these: skip the ten passes over it
        s = s.replace("\\", "\\\\").replace("|", "\\|")
        s = _MD_BREAKS.sub(" ", s)
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        s = s.replace("`", "\\`").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("]", "\\]")
    if _MD_LEAD.match(s):
        s = "\\" + s
    return s.strip() or "—"


def url(value: str) -> str:
    """A relative link: every path segment percent-encoded."""
    return _url(str(value))


@functools.lru_cache(maxsize=4096)
def _url(value: str) -> str:
    """Cached: the summary links every error deal to its rep's page, the same few hundred links."""
    return "/".join(quote(part, safe="") for part in value.split("/"))


_DICT_ATTRIBUTES = frozenset(dir(dict))
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


def user_file(folder: Path, *parts: str) -> Path | None:
    """folder/parts when it exists as a regular file inside `folder` (its real path checked, so
    through a symbolic link only to a file also inside); None when there is no such name; a
    ConfigError for anything else (a link out of the folder, a folder, a device, a FIFO)."""
    path = Path(folder).joinpath(*parts)
    if not os.path.lexists(path):
        return None
    root = Path(folder).resolve()
    real = path.resolve()
    if root not in real.parents:
        raise ConfigError(f"--templates {folder}: {'/'.join(parts)} leads outside the templates folder (to {real})"
                          " / 模板不在模板文件夹内，拒绝读取")
    try:
        info = os.stat(real)
    except OSError as exc:
        raise ConfigError(f"--templates {folder}: {'/'.join(parts)}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"--templates {folder}: {'/'.join(parts)} is not a regular file / 不是普通文件")
    if info.st_size > MAX_TEMPLATE_BYTES:
        raise ConfigError(f"--templates {folder}: {'/'.join(parts)} is {info.st_size:,} bytes, over the limit of"
                          f" {MAX_TEMPLATE_BYTES:,} / 模板文件过大")
    return real


@functools.lru_cache(maxsize=None)
def _folder_loader_class():
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class FolderLoader(BaseLoader):
        """A user's templates folder, read through user_file (no links out, regular files only)."""

        def __init__(self, folder: Path):
            self.folder = Path(folder)

        def get_source(self, environment, template):
            path = user_file(self.folder, *split_template_path(template))  # split refuses ".."
            if path is None:
                raise TemplateNotFound(template)
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"--templates {self.folder}: {template}: cannot read ({exc})") from None
            mtime = path.stat().st_mtime
            return source, str(path), lambda: path.exists() and path.stat().st_mtime == mtime

    return FolderLoader


@functools.lru_cache(maxsize=None)
def _environment_class():
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup, escape

    try:
        from markupsafe import _escape_inner  # markupsafe 3; 2.x has escape itself in C
    except ImportError:
        _escape_inner = None

    def escape_output(value):
        """markupsafe.escape for what a template outputs: the same text, a plain str for a str.

        Jinja only joins the pieces its output calls return (set-blocks and macros it wraps in
        Markup itself), so a Markup object per piece bought nothing and took a third of the HTML
        time of a big report. Ints and Markup need no escaping; anything else goes to
        markupsafe.escape as before.
        """
        kind = type(value)
        if kind is str:
            return _escape_inner(value)
        if kind is int:
            return str(value)
        if kind is Markup:
            return value
        return escape(value)

    class ReportTemplate(Template):
        """Templates whose output calls use escape_output. A compiled template calls `escape`
        only around output (jinja2.compiler, _output_child_pre); were that hook ever to go away,
        templates would fall back to markupsafe.escape, slower but the same."""

        @classmethod
        def _from_namespace(cls, environment, namespace, globals):
            if _escape_inner is not None and namespace.get("escape") is escape:
                namespace["escape"] = escape_output
            return super()._from_namespace(environment, namespace, globals)

    class ReportEnvironment(SandboxedEnvironment):
        """The sandbox, with `d.deal` on a plain dict looked up as the key straight away.

        Jinja tries getattr() first and falls back to the key on AttributeError: an exception per
        lookup, millions of them in a 100,000-deal report. A plain dict has no attributes beyond
        dict's own, so for any other name the result is the same, minus the exception; dict's own
        names (items, keys...) still go through the sandbox's checks.
        """

        template_class = ReportTemplate

        def getattr(self, obj, attribute):
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return ReportEnvironment


def make_environment(templates: Path | None = None):
    from jinja2 import (
        ChoiceLoader,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    loaders = []
    if templates is not None:
        templates = Path(templates)
        if not templates.is_dir():
            raise ConfigError(f"--templates {templates}: not a folder / 不是文件夹")
        loaders.append(_folder_loader_class()(templates))
    loaders.append(FileSystemLoader(str(data_dir("templates"))))
    env = _environment_class()(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "svg.j2"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=money, amt=money, date=fmt_date, weeks=weeks, text=text, md=md_cell, url=url)
    env.user_templates = templates  # errors raised inside a user's own templates are user errors
    return env


# What a template can raise by itself: the sandbox's range cap (OverflowError), arithmetic on the
# wrong values, a missing key. From the built-in templates these are bugs; from --templates they are
# the user's to fix, so they get a one-line reason and exit 2.
_TEMPLATE_RUNTIME_ERRORS = (ArithmeticError, LookupError, TypeError, ValueError, RecursionError)


def render(env, name: str, **context) -> str:
    from jinja2 import TemplateError

    try:
        return env.get_template(name).render(**context)
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"template {where}{':' + str(line) if line else ''}: {exc.message if hasattr(exc, 'message') else exc}") from None
    except _TEMPLATE_RUNTIME_ERRORS as exc:
        user = getattr(env, "user_templates", None)
        if user is None:
            raise
        raise ConfigError(
            f"template {name} (from {user} or one it includes): {type(exc).__name__}: {exc} / 模板渲染出错"
        ) from None
