"""Package data that lives beside the package in the repository: the shipped policies, the
schemas, the data-driven rule cases (`clinimg policy test` runs them) and the example overlay
(`checker.loggen --overlay-out`). A non-editable install (`pip install .`, a wheel) copies them
into the package (checker/policies, checker/schemas, checker/cases, checker/overlay); the code
looks beside the package first, so an editable checkout reads the repository's own files.
Everything else is declared in pyproject.toml."""
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
# repository directory → where it goes inside the installed package
DATA_DIRS = {"policies": "policies", "schemas": "schemas", "tests/cases": "cases", "examples/overlay": "overlay"}


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository itself
        for source, target in DATA_DIRS.items():
            destination = pathlib.Path(self.build_lib) / "checker" / target
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(HERE / source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
