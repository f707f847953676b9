import re
import tomllib

import yaml

from analysis import paths


def _pins_pyproject():
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
    deps = meta["project"]["dependencies"] + meta["project"]["optional-dependencies"]["dev"]
    return {re.split("==", d)[0].lower().replace("_", "-"): d.split("==")[1] for d in deps}


def _pins_conda():
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_environment_yml_and_pyproject_pin_the_same_packages():
    assert _pins_pyproject() == _pins_conda()


def test_every_dependency_is_pinned():
    meta = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
    assert all("==" in d for d in meta["project"]["dependencies"])


def test_ci_calls_the_readme_test_command():
    assert "make test" in (paths.ROOT / ".ci" / "run").read_text()
    assert "make test" in (paths.ROOT / "README.md").read_text()
