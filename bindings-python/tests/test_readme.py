"""The Python examples of the READMEs run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT

READMES = [ROOT / "README.md", ROOT / "bindings-python" / "README.md"]


def blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("path", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_readme_python_examples_run(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    found = blocks(path)
    assert found, f"no Python example in {path}"
    for code in found:
        exec(compile(code, str(path), "exec"), {"__name__": "__readme__"})
    assert "refused:" in capsys.readouterr().out
