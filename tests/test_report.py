"""``fragscope report``: PNGs and Markdown from a real (tiny) sweep and a real (tiny)
fill run; deterministic; saturated points shown as such; bad input is one line."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from conftest import alibaba, reference_path, run_cli
from fragscope.reports.stats import t_interval

PNG = b"\x89PNG\r\n\x1a\n"

# Under pytest-xdist (`--dist loadgroup`) every test of this module runs on one worker, so the
# module-scoped sweep_dir fixture (a sweep run) is built once, not once per worker.
pytestmark = pytest.mark.xdist_group("report")

BASE = """\
seed: 0
round_seconds: 1200
cluster:
  servers:
    - {model: G2, count: 1, gpus: 8, cpu_milli: 96000, memory_mib: 393216}
    - {model: T4, count: 2, gpus: 2, cpu_milli: 104000, memory_mib: 524288}
workload:
  generate: {lam: 1500, window: [5, 15], mix: alibaba-fork, fixed_duration: 3600}
policy: max_min_fairness_perf
placement: fgd
max_sim_time_s: 60000
"""
SWEEP = """\
name: tiny-report
base: base.yaml
grid:
  sharing: [false, true]
  placement: [bestfit]
  workload.generate.lam: [3000, 2000, 200]
seeds: 0-2
"""


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep")
    (d / "base.yaml").write_text(BASE)
    (d / "sweep.yaml").write_text(SWEEP)
    assert run_cli(["sweep", str(d / "sweep.yaml"), "--out", str(d / "out"), "--workers", "2",
                    "--quiet"]) == 0
    return d / "out"


def test_sweep_report_writes_pngs_and_markdown(sweep_dir, tmp_path):
    out = tmp_path / "report"
    assert run_cli(["report", str(sweep_dir), "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"jct_vs_load.png", "window_vs_load.png", "frag_vs_util.png", "ab_deltas.png",
                     "report.md", "results.csv"}
    table = pd.read_csv(out / "results.csv")
    assert "wall_s" not in table.columns and len(table) == 18
    for png in out.glob("*.png"):
        assert png.read_bytes().startswith(PNG) and png.stat().st_size > 10_000
    md = (out / "report.md").read_text()
    for part in ("# Sweep report: tiny-report", "![average JCT vs load](jct_vs_load.png)",
                 "*capped 3/3*", "## A/B: sharing on − off", "saturated pairs (off/on)"):
        assert part in md, part
    # The JCT table is the parquet's numbers: mean over the seeds that finished, in hours.
    df = pd.read_parquet(sweep_dir / "results.parquet")
    ok = df[(df["status"] == "ok") & (df["workload.generate.lam"] == 2000) & (~df["sharing"])]
    assert len(ok) == 3
    v = ok["avg_jct_s"] / 3600
    assert f"{v.mean():.1f} [{v.min():.1f}–{v.max():.1f}]" in md
    # Loads whose runs a bound stopped (capped: 60 000 s is too short for the backlog monitor
    # to call them saturated) never get an average (no JCT number in their cells).
    row = next(line for line in md.splitlines() if line.startswith("| placement=bestfit, sharing off"))
    assert row.rstrip(" |").endswith("*capped 3/3*")
    # The points line counts each status the parquet has, capped ones included.
    counts = df["status"].value_counts()
    assert (f"{counts.get('ok', 0)} finished, {counts.get('saturated', 0)} saturated, "
            f"{counts.get('capped', 0)} capped, {counts.get('error', 0)} failed.") in md
    assert counts.get("capped", 0) > 0


def test_report_is_deterministic(sweep_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli(["report", str(sweep_dir), "--out", str(a), "--quiet"]) == 0
    assert run_cli(["report", str(sweep_dir), "--out", str(b), "--quiet"]) == 0
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_t_interval_matches_the_t_table():
    m, lo, hi = t_interval([1.0, 2.0, 3.0])
    assert m == 2.0 and hi - m == pytest.approx(4.302653 * 1.0 / 3 ** 0.5, rel=1e-6)
    assert t_interval([5.0]) is None


def test_fill_report_with_reference_overlay(tmp_path):
    nodes = alibaba("openb_node_list_gpu_node")
    pods = alibaba("openb_pod_list_default")
    ref = reference_path("fgd", "reference_curves.csv")
    # A small real fill run: the first 40 GPU nodes and 400 pods of the Alibaba trace.
    (tmp_path / "nodes.csv").write_text("".join(_gunzip(nodes).splitlines(True)[:41]))
    (tmp_path / "pods.csv").write_text("".join(_gunzip(pods).splitlines(True)[:401]))
    fill = tmp_path / "fill"
    assert run_cli(["fill", "--nodes", str(tmp_path / "nodes.csv"), "--pods", str(tmp_path / "pods.csv"),
                    "--placement", "fgd,bestfit", "--seeds", "1-3", "--out", str(fill),
                    "--workers", "1", "--quiet"]) == 0
    out = tmp_path / "report"
    assert run_cli(["report", str(fill), "--out", str(out), "--reference", str(ref), "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} == {"fill_unalloc.png", "fill_frag.png", "report.md"}
    md = (out / "report.md").read_text()
    assert "| unalloc_gpu_pct | fgd |" in md and "dashed: reference medians" in md
    # The reference column holds the reference's own median at 100 % arrived.
    table = pd.read_csv(ref)
    r = table[(table["metric"] == "unalloc_gpu_pct") & (table["workload"] == "openb_pod_list_default")
              & (table["sc_policy"] == "FGD") & (table["arrived_pct"] == 100)]["median"].iloc[0]
    line = next(l for l in md.splitlines() if l.startswith("| unalloc_gpu_pct | fgd |"))
    assert line.rstrip(" |").endswith(f"{r:.2f}")


@pytest.mark.parametrize("setup, expected", [
    ("empty", "neither results.parquet"),
    ("missing", "not a folder"),
])
def test_report_bad_input_is_one_line(tmp_path, capsys, setup, expected):
    d = tmp_path / "d"
    if setup == "empty":
        d.mkdir()
    code = run_cli(["report", str(d), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and expected in err and "Traceback" not in err


def _gunzip(path) -> str:
    """The text of a packaged (gzipped) Alibaba list."""
    return gzip.decompress(path.read_bytes()).decode()
