"""Copy the top-level rules/ and templates/ into the package when building a wheel.

The repository keeps them at the top (they are what users read and edit); the
installed package needs its own copy so that a wheel works outside the repo.
An editable install reads them straight from the repository instead.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


class BuildWithData(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "pipeaudit" / "_data"
        for name in ("rules", "templates"):
            dest = target / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(HERE / name, dest)


setup(cmdclass={"build_py": BuildWithData})
