"""Writing outputs safely: atomically, and never as a spreadsheet formula."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import IO, Iterator

from pipeaudit.errors import PipeauditError
from pipeaudit.i18n import both

_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_LEADS):
        return "'" + value
    return value


def resolve_output(path: Path, option: str, *, follow_symlinks: bool = False) -> Path:
    """The one symbolic-link rule for everything pipeaudit writes (`check -o`, `report --out`,
    `--history`): where to write for `option`.

    A path that is not a symbolic link is returned as it is. A symbolic link is refused (one line,
    exit 2) unless the user said `--follow-symlinks`; then its final target is returned, so an
    atomic replace keeps the link. A dangling link is refused either way: writing through it would
    create a file wherever the link points. Only the last component is looked at: folders on the
    way may be links (/tmp -> /private/tmp), as the user typed them.
    """
    path = Path(path)
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.exists():
        raise PipeauditError(f"{option} {path}: " + both("outputs.dangling_link", target=str(target)))
    if not follow_symlinks:
        raise PipeauditError(f"{option} {path}: " + both("outputs.symlink", target=str(target)))
    return target


def temp_beside(path: Path) -> tuple[int, str]:
    """Create a temporary file next to `path` for an atomic replace: (fd, name).

    It gets the mode a plain new file would (0o666 less the umask, and any default ACL) or, when
    `path` is an existing regular file, that file's mode: mkstemp's 0600 would make reports a
    cron job writes to a shared folder unreadable by the team.
    """
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask
        except FileExistsError:
            continue
        try:
            old = os.stat(path)
            if stat.S_ISREG(old.st_mode):
                os.fchmod(fd, stat.S_IMODE(old.st_mode))
        except FileNotFoundError:
            pass
        except OSError:
            os.close(fd)
            os.unlink(tmp)
            raise
        return fd, str(tmp)
    raise FileExistsError(f"no free temporary name beside {path}")


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside `path`, then rename over it; a failed run leaves the old file."""
    path = Path(path)
    try:
        fd, tmp = temp_beside(path)
    except OSError as exc:
        raise PipeauditError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        kwargs = {"encoding": encoding, "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: str | bytes) -> None:
    with atomic_writer(path, "wb" if isinstance(data, bytes) else "w") as fh:
        fh.write(data)
