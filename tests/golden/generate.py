"""Create the golden output files of every issue-2 scenario (sharing off).

They pin the engine's behaviour before GPU sharing existed: with sharing off, every
later change must leave these outputs byte-identical.  Do NOT regenerate them to
make a failing test pass; a difference is a regression (or a deliberate,
documented behaviour change that needs its own review).

Usage: python tests/golden/generate.py
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

from fragscope import Simulation, write_run_outputs  # noqa: E402

SCENARIOS = ["default.yaml", "gavel/t1-mmf.yaml", "gavel/t1-mmfp.yaml", "gavel/t2-mmf.yaml",
             "gavel/t2-mmfp.yaml", "gavel/g1-mmf.yaml", "gavel/g1-mmfp.yaml",
             "gavel/continuous-36.yaml"]


def golden_dir(scenario: str) -> Path:
    return REPO / "tests" / "golden" / scenario.replace("/", "__").removesuffix(".yaml")


def main() -> None:
    for name in SCENARIOS:
        sim = Simulation.from_scenario(REPO / "scenarios" / name)
        sim.run_to_end()
        write_run_outputs(sim, golden_dir(name))
        print("wrote", golden_dir(name).relative_to(REPO))


if __name__ == "__main__":
    main()
