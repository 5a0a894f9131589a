"""Sweeps: a grid of scenario overrides × seeds, one headless run per point.

A sweep file (YAML) names a base scenario and a grid::

    name: sharing-ab
    base: alibaba-small.yaml            # relative to the sweep file, or a shipped name
    grid:                               # every combination, in this order
      sharing: [false, true]
      placement: [gavel, bestfit, fgd]
      workload.generate.lam: [3000, 1500, 1000]
    seeds: [0, 1, 2]                    # or "0-2"; sets the scenario's `seed`
    set: {max_sim_time_s: 1500000}      # optional: overrides applied to every point

An axis may instead be a set of **named variants** (``label -> {key: value, ...}``:
one value of the axis that sets several keys, and may choose another ``base``), and
``grid`` may be a list of such mappings (**blocks**: the union of their products), so
three arms × seven loads on one cluster plus three arms × three loads on another is
one sweep file (see :mod:`.grid`; ``arms:`` names the axis the report compares).

Each point is exactly ``fragscope run BASE --set ...``: the same files
(``summary.json``, ``jobs.csv``, ``rounds.csv``) in its own folder
``points/<hash>-<key=value,...>``, plus ``point.json`` (the row of
``results.parquet``: overrides, seed, every summary figure, window-only figures,
status, error, wall time).  ``point.json`` is written last and atomically, so it is
the "done" marker: re-running the sweep skips points that have one, and a killed
sweep loses only the points in flight.  ``results.parquet`` is rebuilt from the
``point.json`` files (never from memory) after every point, written atomically, in
grid order — so it is byte-identical whatever the backend, the number of workers or
how often the sweep was interrupted, except the ``wall_s`` column.

Workers compute and return texts; only the driver writes files, so the Ray backend
works with a remote cluster that does not share the driver's disk (the base scenario
and the data it reads must be at the same paths on the workers).

One concern a module:

* ``spec``     the sweep file: :func:`load_sweep` validates it into a :class:`SweepSpec`
               and its grid points (base, overrides, seeds, folder names)
* ``grid``     the grid's axes, named variants and blocks, checked
* ``point``    one point: :func:`run_point` runs it headless and returns its row and files
* ``backends`` where points run: a local process pool or Ray tasks
* ``run``      the driver: :func:`run_sweep` skips finished points and writes each result
               atomically, so a sweep resumes where it was killed
* ``claims``   a point's ``.claim`` while a driver runs it, so sweeps into one folder
               share the work
* ``results``  the results table: column kinds, :func:`results_table`, results.parquet

The names below are the sweep's public API, importable from this package.
"""

from .backends import ray_available
from .point import STATUSES, PointResult, run_point
from .results import results_equal_ignoring_wall, results_table, write_results
from .run import SweepOutcome, run_sweep
from .spec import Point, SweepSpec, load_sweep

__all__ = ["Point", "PointResult", "SweepOutcome", "SweepSpec", "load_sweep", "results_table",
           "results_equal_ignoring_wall", "run_point", "run_sweep", "write_results", "ray_available",
           "STATUSES"]
