"""Test helpers: where the repo, its scenarios, the reference outputs and the packaged data live.

Nothing here reads from outside the repository: the reference outputs of Gavel's and
FGD's simulators are in tests/reference/, the Alibaba lists come from the package."""

from __future__ import annotations

from pathlib import Path

from hypothesis import settings

# Property tests draw the same examples on every run (a red CI is then a real,
# reproducible finding, not a lucky draw); `--hypothesis-profile=explore` draws new ones.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("default")

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
    from fragscope.model.packaged import builtin_data
    return builtin_data(f"builtin:alibaba/{stem.removesuffix('.csv')}",
                        "nodes" if "_node_list_" in stem else "pods")


def run_cli(argv: list[str]) -> int:
    from fragscope.tui.cli import main
    return main(argv)


def tiny_trace(tmp_path: Path) -> tuple[Path, Path]:
    """A 24-node / 90-pod Alibaba-format node and pod list (mixed node sizes, models,
    fractional, whole, multi-GPU and CPU-only pods): fill-up runs in milliseconds."""
    nodes = ["sn,cpu_milli,memory_mib,gpu,model"]
    for i in range(24):
        g = (8, 4, 2, 1)[i % 4]
        nodes.append(f"node-{i:02d},{g * 12000},{g * 48000},{g},{'G2' if i % 3 else 'T4'}")
    pods = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec"]
    shapes = [(4000, 1, 250, ""), (12000, 1, 1000, ""), (8000, 1, 470, "T4"), (16000, 2, 1000, ""),
              (6000, 0, 0, ""), (3000, 1, 810, "G2|T4"), (40000, 4, 1000, "")]
    for i in range(90):
        c, k, g, s = shapes[(i * 5) % len(shapes)]
        pods.append(f"pod-{i:03d},{c},{c * 3},{k},{g},{s}")
    n, p = tmp_path / "nodes.csv", tmp_path / "pods.csv"
    n.write_text("\n".join(nodes) + "\n")
    p.write_text("\n".join(pods) + "\n")
    return n, p
