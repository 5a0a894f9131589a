"""Commands that use worker processes leave none behind when they exit.

Each command runs as the leader of its own process group; the moment it has exited,
no process of that group may remain (multiprocessing's resource tracker used to
outlive it, engine/experiments/processes.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import tiny_trace


def _group_members(pgid: int) -> list[str]:
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
        except OSError:
            continue
        if int(stat[2]) == pgid:
            left.append(f"{pid} ({stat[0]}) {cmd}")
    return left


def _run_alone(args: list[str], cwd: Path) -> None:
    exe = shutil.which("fragscope") or str(Path(sys.executable).with_name("fragscope"))
    proc = subprocess.Popen([exe, *args], cwd=cwd, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert _group_members(proc.pid) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ab_with_two_arm_processes_leaves_no_process_behind(tmp_path):
    _run_alone(["ab", "teach/tiny-packing", "--workers", "2", "--out", str(tmp_path / "ab"), "--quiet"], tmp_path)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_fill_with_two_workers_leaves_no_process_behind(tmp_path):
    nodes, pods = tiny_trace(tmp_path)
    _run_alone(["fill", "--nodes", str(nodes), "--pods", str(pods), "--placement", "bestfit,fgd", "--seeds", "1",
                "--workers", "2", "--out", str(tmp_path / "fill"), "--quiet"], tmp_path)
