"""How the process runs a big audit, kept in one place: settings of the interpreter, not of the data."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator, MutableMapping


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """An audit and its outputs build millions of long-lived, acyclic objects (cells, strings, one
    record per deal and finding): the cyclic collector kept rescanning them, finding nothing. It took
    half the time of a 100,000-deal report and about 5% of a 100,000-deal check; peak memory is the
    same with it off. Reference counting still frees everything; the collector is back on
    afterwards, as it was. Nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: numpy's documented switch for asking the kernel for transparent huge pages (read at its import).
NUMPY_HUGEPAGE = "NUMPY_MADVISE_HUGEPAGE"


def prefer_small_pages(environ: MutableMapping[str, str] = os.environ) -> None:
    """Ask numpy for ordinary pages, unless the user chose: the console script calls this before
    numpy is imported.

    An audit allocates and frees hundreds of arrays of millions of elements. With huge pages each
    new 2 MiB region is compacted and zeroed at its first touch: on the 1,000,000-deal CSV of
    `make bench` that was 4.0 s of system time in an 11 s check, and 2.0 s with ordinary pages
    (user time the same, same output). A 100,000-deal workbook is unchanged either way. Only the
    command line does this; a program importing pipeaudit keeps its own numpy settings.
    """
    environ.setdefault(NUMPY_HUGEPAGE, "0")
