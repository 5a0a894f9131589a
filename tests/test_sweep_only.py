"""``fragscope sweep --only``: part of a sweep first, the rest later into the same folder,
with the same results as one full run."""

from __future__ import annotations

import pandas as pd

from conftest import REPO, run_cli

QUICK = str(REPO / "scenarios" / "sweeps" / "quick.yaml")


def _results(out):
    df = pd.read_parquet(out / "results.parquet").drop(columns=["wall_s"])
    return df.sort_values("index").reset_index(drop=True)


def test_only_runs_the_selected_points_and_the_rest_can_follow(tmp_path, capsys):
    part = tmp_path / "part"
    assert run_cli(["sweep", QUICK, "--out", str(part), "--workers", "1",
                    "--only", "sharing=True", "--only", "placement=fgd"]) == 0
    out = capsys.readouterr().out
    assert "8 (2 run now, 0 already done, 6 not selected by --only)" in out
    first = _results(part)
    assert set(first["sharing"]) == {True} and set(first["placement"]) == {"fgd"} and len(first) == 2
    # the rest of the fgd points into the same folder = all fgd points run at once
    assert run_cli(["sweep", QUICK, "--out", str(part), "--workers", "1", "--quiet", "--only", "placement=fgd"]) == 0
    full = tmp_path / "full"
    assert run_cli(["sweep", QUICK, "--out", str(full), "--workers", "1", "--quiet", "--only", "placement=fgd"]) == 0
    assert len(_results(part)) == 4
    pd.testing.assert_frame_equal(_results(part), _results(full))


def test_only_names_the_axes_and_values_it_accepts(tmp_path, capsys):
    assert run_cli(["sweep", QUICK, "--out", str(tmp_path / "o"), "--only", "color=red"]) == 2
    assert "sharing, placement, workload.generate.lam, seed" in capsys.readouterr().err
    assert run_cli(["sweep", QUICK, "--out", str(tmp_path / "o"), "--only", "placement=worst"]) == 2
    assert "placement takes bestfit, fgd" in capsys.readouterr().err


def test_results_hold_points_another_sweep_finished_into_the_same_folder(tmp_path):
    """Two --only parts running at once into one folder: each rewrites results.parquet,
    which must hold every finished point, including those the other part finished
    after this one started (before, the last writer's own points only)."""
    import shutil

    from fragscope.experiments.sweep import run_sweep
    from fragscope.experiments.sweep.run import point_filter
    from fragscope.experiments.sweep.spec import load_sweep

    spec = load_sweep(REPO / "scenarios" / "sweeps" / "quick.yaml")
    other = tmp_path / "other"
    run_sweep(spec, other, workers=1, only=point_filter(spec, ["placement=fgd", "sharing=True"]))
    theirs = [p.folder for p in spec.points if (other / "points" / p.folder / "point.json").exists()][0]
    out = tmp_path / "out"

    def other_part_finishes(done, total, point, row):   # the other sweep, meanwhile
        if done == 1:
            shutil.copytree(other / "points" / theirs, out / "points" / theirs)

    run_sweep(spec, out, workers=1, only=point_filter(spec, ["placement=fgd", "sharing=False"]),
              progress=other_part_finishes)
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == 3 and theirs in set(df["point"])


def _fgd_shared(spec):
    from fragscope.experiments.sweep.run import point_filter
    return point_filter(spec, ["placement=fgd", "sharing=True"])


def _claim(folder, pid):
    import json
    import socket
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".claim").write_text(json.dumps({"host": socket.gethostname(), "pid": pid}))


def test_a_point_another_live_sweep_claimed_is_left_to_it(tmp_path):
    """Two sweeps into one folder share the work: a point claimed by a running sweep
    (here: this test's parent process) is not run a second time; the rest is."""
    import os

    from fragscope.experiments.sweep import run_sweep
    from fragscope.experiments.sweep.spec import load_sweep

    spec = load_sweep(REPO / "scenarios" / "sweeps" / "quick.yaml")
    mine = [p for p in spec.points if _fgd_shared(spec)(p)]
    out = tmp_path / "out"
    _claim(out / "points" / mine[0].folder, os.getppid())
    outcome = run_sweep(spec, out, workers=1, only=_fgd_shared(spec))
    assert outcome.ran == 1
    assert outcome.elsewhere == {mine[0].folder: f"pid {os.getppid()} on host {__import__('socket').gethostname()}"}
    assert not (out / "points" / mine[0].folder / "point.json").exists()
    assert (out / "points" / mine[1].folder / "point.json").exists()
    assert (out / "points" / mine[0].folder / ".claim").exists()       # not ours to drop
    assert not (out / "points" / mine[1].folder / ".claim").exists()   # ours, dropped


def test_a_claim_left_by_a_killed_sweep_is_taken_over(tmp_path):
    import subprocess
    import sys

    from fragscope.experiments.sweep import run_sweep
    from fragscope.experiments.sweep.spec import load_sweep

    spec = load_sweep(REPO / "scenarios" / "sweeps" / "quick.yaml")
    mine = [p for p in spec.points if _fgd_shared(spec)(p)]
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = tmp_path / "out"
    _claim(out / "points" / mine[0].folder, gone.pid)
    outcome = run_sweep(spec, out, workers=1, only=_fgd_shared(spec))
    assert outcome.ran == 2 and outcome.elsewhere == {}
    assert not list((out / "points").glob("*/.claim"))


def test_a_point_another_sweep_finished_meanwhile_is_not_run_again(tmp_path):
    import shutil

    from fragscope.experiments.sweep import run_sweep
    from fragscope.experiments.sweep.spec import load_sweep

    spec = load_sweep(REPO / "scenarios" / "sweeps" / "quick.yaml")
    mine = [p for p in spec.points if _fgd_shared(spec)(p)]
    other = tmp_path / "other"
    run_sweep(spec, other, workers=1, only=_fgd_shared(spec))
    out = tmp_path / "out"

    def other_finishes_the_second(done, total, point, row):
        shutil.copytree(other / "points" / mine[1].folder, out / "points" / mine[1].folder)

    outcome = run_sweep(spec, out, workers=1, only=_fgd_shared(spec), progress=other_finishes_the_second)
    assert outcome.ran == 1 and outcome.elsewhere == {mine[1].folder: "finished by another sweep"}
    assert len(pd.read_parquet(out / "results.parquet")) == 2


def test_start_up_removes_temporaries_of_writers_gone_not_of_live_ones(tmp_path):
    """A sweep starting cleans the temporary files a killed sweep left, but not those
    another sweep writing into the same folder holds right now (atomic writes name their
    writer: ``.<name>.<pid>@<host>.<random>.tmp``)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from fragscope.model.atomic import atomic_write, temporary_writer
    from fragscope.experiments.sweep import run_sweep
    from fragscope.experiments.sweep.spec import load_sweep

    spec = load_sweep(REPO / "scenarios" / "sweeps" / "quick.yaml")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    folder = tmp_path / "out" / "points" / spec.points[0].folder
    folder.mkdir(parents=True)
    names = {"live": f".point.json.{os.getpid()}@{host}.ab12cd34.tmp",       # this process: writing
             "killed": f".point.json.{gone.pid}@{host}.ef56gh78.tmp",         # its writer is gone
             "elsewhere": ".point.json.4242@another-host.x.ij90kl12.tmp",     # cannot be checked, fresh
             "elsewhere_old": ".point.json.4242@another-host.x.mn34op56.tmp",  # ... and an hour old
             "unnamed_old": ".point.json.qr78st90.tmp",                         # an older fragscope's, old
             "live_old": f".point.json.{os.getpid()}@{host}.uv12wx34.tmp"}    # a live pid, an hour old: reused
    for name in names.values():
        (folder / name).write_text("half")
    hour_ago = time.time() - 2 * 3600
    for key in ("elsewhere_old", "unnamed_old", "live_old"):
        os.utime(folder / names[key], (hour_ago, hour_ago))
    assert temporary_writer(folder / names["elsewhere"]) == (4242, "another-host.x")
    assert temporary_writer(folder / names["unnamed_old"]) is None
    run_sweep(spec, tmp_path / "out", workers=1, only=lambda p: False)
    left = {key for key, name in names.items() if (folder / name).exists()}
    assert left == {"live", "elsewhere"}
    atomic_write(folder / "note.txt", "x\n")       # a real atomic write leaves nothing
    assert not list(folder.glob(".note.txt.*"))
