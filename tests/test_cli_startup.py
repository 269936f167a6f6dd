"""`--help` and `--version` stay instant: they must not import pandas or other heavy modules."""

import subprocess
import sys

import pytest

from pipeaudit import __version__

HEAVY = ("pandas", "numpy", "openpyxl", "jinja2", "python_calamine", "pyarrow")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["check", "--help"], ["report", "--help"], ["send", "--help"], ["rules", "fields", "--help"],
     ["rules", "operators"]],
)
def test_no_heavy_imports(args):
    code = (
        "import sys\n"
        "from pipeaudit.cli import app\n"
        "try:\n"
        f"    app({args!r}, prog_name='pipeaudit')\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY=\n" in out.stdout, out.stdout[-500:]


def test_version():
    out = subprocess.run([sys.executable, "-m", "pipeaudit", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.strip() == f"pipeaudit {__version__}"


def test_usage_error_is_exit_2():
    out = subprocess.run([sys.executable, "-m", "pipeaudit", "check"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_small_pages_unless_the_user_chose():
    from pipeaudit.runtime import NUMPY_HUGEPAGE, prefer_small_pages

    env: dict[str, str] = {}
    prefer_small_pages(env)
    assert env == {NUMPY_HUGEPAGE: "0"}
    env = {NUMPY_HUGEPAGE: "1"}
    prefer_small_pages(env)
    assert env == {NUMPY_HUGEPAGE: "1"}


@pytest.mark.parametrize("chosen, expected", [(None, False), ("1", True)])
def test_the_console_script_sets_numpy_pages_before_numpy_loads(tmp_path, chosen, expected):
    """numpy reads the switch once, at its import: a check through main() must run with it."""
    import os

    export = tmp_path / "deals.csv"
    export.write_text("商机编号,商机名称,负责人,销售阶段\nSJ-1,华光ERP,张三,C方案论证\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from pipeaudit.cli import main\n"
        f"sys.argv = ['pipeaudit', 'check', {str(export)!r}, '--format', 'json', '-o', {str(tmp_path / 'out.json')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "import numpy\n"
        "core = getattr(numpy, '_core', None) or numpy.core\n"
        "print('HUGE=' + str(core.multiarray._set_madvise_hugepage(True)))\n"  # returns the setting it replaces
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if chosen is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = chosen
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert f"HUGE={expected}" in out.stdout, out.stdout[-300:] + out.stderr[-300:]
    assert (tmp_path / "out.json").exists()
