"""The guard: every check made on a file before a parser touches it.

Run first so that a hostile or broken file is refused with a clear one-line reason instead of a
parser's traceback or an exhausted machine: a missing, empty or mislabelled file, a password,
a zip bomb, or a sheet whose cells would make python-calamine allocate a vast dense grid (that
allocation failing aborts the whole process, with nothing to catch).

paths        the file itself: existence, size, magic bytes, encryption
archive      a zip package (.xlsx/.xlsm/.ods): bomb limits and the claims calamine acts on
xlsx_extent  how far an .xlsx sheet's cells reach, scanned before the sheet is loaded
ods_extent   the tables of an .ods, counted as calamine will build them
xls_records  the BIFF records of an .xls, walked before calamine opens it
The other modules are what those share.
"""

from pipeaudit.read.guard.archive import check_zip
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
    "check_zip",
    "is_encrypted_ole",
    "not_workbook_error",
    "protected_error",
    "read_magic",
]
