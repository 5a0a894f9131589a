"""What the pytest plug-in costs a session that does not use it (prints figures; never asserts).

Issue 21's budget: < 50 ms added to a pytest session.  Times ``python -m pytest -q`` on a
folder holding one trivial test, with the plug-in (as installed: entry point pytest11)
and without it (``-p no:fragscope``), alternating, medians of ``--repeat`` runs each.
Other installed plug-ins load in both, so the difference is fragscope's.

Usage: python bench/bench_pytest_plugin.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_plain.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tmp]
        times: dict[str, list[float]] = {"with": [], "without": []}
        for i in range(args.repeat):
            for label in (("with", "without") if i % 2 == 0 else ("without", "with")):
                cmd = base + (["-p", "no:fragscope"] if label == "without" else [])
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, cwd=tmp)
                times[label].append(time.perf_counter() - t0)
    w, wo = statistics.median(times["with"]), statistics.median(times["without"])
    print(f"pytest session, one trivial test: with the fragscope plug-in {w * 1000:.0f} ms, without "
          f"{wo * 1000:.0f} ms (medians of {args.repeat}) -> {(w - wo) * 1000:+.1f} ms; budget < 50 ms")
    # the module's own import (pytest already loaded, as in a session): less noisy
    own = []
    for _ in range(args.repeat):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import pytest; import fragscope.pytest_plugin"],
                             check=True, capture_output=True, text=True).stderr
        line = next(x for x in err.splitlines() if x.rstrip().endswith("| fragscope.pytest_plugin"))
        own.append(int(line.split("|")[1]) / 1000)
    print(f"importing fragscope.pytest_plugin after pytest: median {statistics.median(own):.1f} ms "
          f"(cumulative, python -X importtime, {args.repeat} runs)")


if __name__ == "__main__":
    main()
