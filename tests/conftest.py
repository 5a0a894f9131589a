"""Test helpers: where the repo, its scenarios, the reference outputs and the packaged data live.

Nothing here reads from outside the repository: the reference outputs of Gavel's and
FGD's simulators are in tests/reference/, the Alibaba lists come from the package."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
REFERENCE = REPO / "tests" / "reference"


def reference_path(*parts: str) -> Path:
    """A reference output under tests/reference (gavel/, fgd/)."""
    path = REFERENCE.joinpath(*parts)
    assert path.exists(), f"{path} is missing from the repository"
    return path


def alibaba(stem: str) -> Path:
    """A packaged Alibaba list by file stem (``openb_pod_list_default``), as a real file."""
    from fragscope.core.builtin import builtin_data
    return builtin_data(f"builtin:alibaba/{stem.removesuffix('.csv')}",
                        "nodes" if "_node_list_" in stem else "pods")


def run_cli(argv: list[str]) -> int:
    from fragscope.tui.cli import main
    return main(argv)
