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


def use_jemalloc() -> None:
    """Make jemalloc Arrow's default memory pool, where this pyarrow has it (once per process, when
    reading starts: pipeaudit.read.read_table).

    The default (mimalloc in the Linux wheels) asks the kernel for huge pages and, on a machine
    short of contiguous memory, spends seconds of system time compacting it. On the
    1,000,000-deal CSV of `make bench`: the read alone 1.4 s user + 0.9..2.2 s system with mimalloc,
    1.4 + 0.4..0.5 s with jemalloc; the whole check 9.0 + 3.6..4.4 s and 1,375..1,410 MiB against
    9.0 + 2.5..3.2 s and 1,270..1,300 MiB. A workbook's check uses Arrow too (the extent guard,
    text conditions, duplicate keys, the JSON): 100k deals, 4.1-4.5 s with mimalloc against
    3.7-3.95 s with jemalloc, mostly system time. Process-wide on purpose: a pool for the read
    alone keeps the two allocators from reusing each other's freed memory and costs 150 MiB more
    at the peak. Only where buffers live changes, never what is read or computed.
    """
    import pyarrow as pa

    global _POOL_CHOSEN
    if _POOL_CHOSEN:
        return
    _POOL_CHOSEN = True
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):  # the user's (or Arrow's documented) choice wins
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowException):
        pass  # some platforms' wheels come without jemalloc: the default pool it is


_POOL_CHOSEN = False
