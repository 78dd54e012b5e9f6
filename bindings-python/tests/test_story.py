"""The seed story (examples/python/catalogue.py) runs and tells what the Rust example tells."""

from __future__ import annotations

import runpy

import pytest

from conftest import ROOT


def test_the_catalogue_example_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "python" / "catalogue.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "Juste à temps — group Catalogue with 3 members" in out
    assert "audience of 4 — nobody hidden, nobody flooded" in out
    assert "both edits survive: « Chaleureux : Lieu où l'on se retrouve. On y refait le monde. »" in out
    assert "alphabetical, accents ignored: Café, Équipe, Été" in out
    assert "Sophie's offline contact on Patrick's copy: absent" in out
    assert "the report says why: revoked by change" in out
    assert "3 contacts in the CRM, 1 at stage `contacted`" in out
