"""The guard: every check made on a file before a parser touches it.

Run first so that a hostile or broken file is refused with a clear reason instead of a parser's
traceback or an exhausted machine: missing, empty or mislabelled files, password protection, zip
bombs, and sheets whose cells would make python-calamine allocate a vast grid (an allocation
failure there aborts the whole process, with nothing to catch).
"""

from pipeaudit.read.guard.paths import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    check_path,
    is_encrypted_ole,
    not_workbook_error,
    protected_error,
    read_magic,
)
from pipeaudit.read.guard.xls_records import check_xls
from pipeaudit.read.guard.xlsx_extent import check_sheet_extent

__all__ = [
    "OLE2_MAGIC",
    "ZIP_MAGIC",
    "check_path",
    "check_sheet_extent",
    "check_xls",
    "is_encrypted_ole",
    "not_workbook_error",
    "protected_error",
    "read_magic",
]
