"""fragscope: a steppable GPU-cluster scheduler simulator (this is its public API).

Everything the UI and the commands use is importable from here, and the app
(``fragscope.tui``) imports the engine only from here (``tests/test_architecture.py``
checks it); nothing in the engine imports the UI.

The names, by what they are for:

* running a scenario: :class:`Simulation` (step, clone, fork setters, read-only views),
  :func:`load_scenario`, :class:`ScenarioConfig`, :class:`Snapshot`, :class:`RoundReport`
* the mode a run schedules in: :class:`Mode` (frozen; ``Simulation.set_mode`` replaces
  it whole), :data:`LP_CAPACITIES` and :data:`LP_CAPACITY_MEANINGS` (the LP's capacity rules)
* what a simulation shows: :class:`ServerView`, :class:`GpuView`, :class:`JobView` (frozen
  views), :class:`ServerViewCache` (server views rebuilt from GPU holdings, e.g. in
  another process) and :class:`PlacementRecord` (a job's placement decision, imported on
  first use: only round mode needs it)
* the decision log (``Simulation(config, decisions=True)``, ``Simulation.decisions()``):
  :class:`DecisionRow`, :data:`DECISION_COLUMNS` (decisions.parquet's), :data:`DECISION_ACTIONS`
* results: :func:`summary`, :func:`write_run_outputs`, :func:`measured_job_ids`, the
  backlog monitor (:class:`BacklogMonitor`, :class:`BacklogStatus`, :func:`default_bound`)
* names: :data:`FGD_SCORINGS` (FGD's scorings), :data:`PAPER_PLACEMENTS` (the FGD
  paper's six, ``fill``'s default), :func:`placement_names`, :func:`policy_names` (registered), :func:`load_placement`,
  :func:`load_policy` (check a name or plug-in reference before a run needs it); shipped
  scenarios and data: :func:`shipped_scenarios`, :func:`find_scenario`, :func:`builtin_names`,
  :func:`data_file`, :func:`alibaba_trace`, :class:`ShippedScenario`
* errors: :class:`InputError` (bad input, named), :class:`SimulationError`
* the debugger (debugger.md), imported on first use: :func:`why` / :func:`explain_job`
  (why a job waits: :class:`WhyAnswer`, :data:`JOB_STATES`), :func:`diverge` (the first
  divergence of two runs: :class:`Divergence`), :func:`export_perfetto` /
  :func:`perfetto_trace` (a Chrome/Perfetto trace of a run folder)
* experiments and reports, imported on first use (they bring matplotlib, pandas, Ray
  hooks, so ``import fragscope`` and ``fragscope --help`` stay fast): :func:`run_capped`,
  :func:`run_ab`, :func:`run_fill`, :func:`load_sweep`, :func:`run_sweep`,
  :func:`point_filter`, :func:`ray_available`, :func:`make_report`

The stack, bottom-up, is drawn in README "Architecture and layout".
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .core.backlog import BacklogMonitor, BacklogStatus, default_bound
from .model.packaged import ShippedScenario, alibaba_trace, builtin_names, data_file, find_scenario, shipped_scenarios
from .core.report import RoundReport
from .core.decisions import ACTIONS as DECISION_ACTIONS, DECISION_COLUMNS, DecisionRow
from .core.results import measured_job_ids, summary, write_run_outputs
from .core.mode import LP_CAPACITIES, LP_CAPACITY_MEANINGS, Mode
from .core.scenario import ScenarioConfig, load_scenario
from .core.views import GpuView, JobView, ServerView, ServerViewCache
from .placement.fgd import PAPER_PLACEMENTS, SCORINGS as FGD_SCORINGS
from .placement.registry import load_placement, placement_names
from .core.simulation import Simulation, Snapshot
from .model.errors import InputError, SimulationError
from .policies import policy_names
from .policies.registry import load_policy

if TYPE_CHECKING:  # the lazy names below, for type checkers and the import-graph test
    from .experiments.ab import run_ab
    from .experiments.fill import run_fill
    from .experiments.measure import run_capped
    from .experiments.sweep.backends import ray_available
    from .experiments.sweep.run import point_filter, run_sweep
    from .experiments.sweep.spec import load_sweep
    from .placement.round import PlacementRecord
    from .reports.report import make_report
    from .debug.why import JOB_STATES, WhyAnswer, explain_job, why
    from .debug.diff import Divergence, diverge
    from .debug.export import export_perfetto, perfetto_trace

__version__ = "0.3.0"

#: name -> defining module of the names imported on first use (PEP 562): experiments and
#: reports pull in matplotlib, pandas and the sweep machinery, which neither the app nor
#: ``fragscope run`` needs.
_LAZY: dict[str, str] = {
    "run_capped": ".experiments.measure",
    "run_ab": ".experiments.ab",
    "run_fill": ".experiments.fill",
    "load_sweep": ".experiments.sweep.spec",
    "run_sweep": ".experiments.sweep.run",
    "ray_available": ".experiments.sweep.backends",
    "point_filter": ".experiments.sweep.run",
    "make_report": ".reports.report",
    "PlacementRecord": ".placement.round",
    "why": ".debug.why",
    "explain_job": ".debug.why",
    "WhyAnswer": ".debug.why",
    "JOB_STATES": ".debug.why",
    "diverge": ".debug.diff",
    "Divergence": ".debug.diff",
    "export_perfetto": ".debug.export",
    "perfetto_trace": ".debug.export",
}


def __getattr__(name: str) -> Any:
    """A lazy name, read from its defining module (imported on first use) at every access:
    not kept here, so a test that patches the defining module is seen, as with a direct
    import (the lookup is a dict and ``sys.modules`` away)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["DECISION_ACTIONS", "DECISION_COLUMNS", "DecisionRow", "FGD_SCORINGS", "PAPER_PLACEMENTS", "LP_CAPACITIES", "LP_CAPACITY_MEANINGS", "Mode", "BacklogMonitor", "BacklogStatus", "GpuView", "InputError", "JobView", "RoundReport",
           "ScenarioConfig", "ServerView", "ServerViewCache", "ShippedScenario", "Simulation",
           "SimulationError", "Snapshot", "alibaba_trace", "builtin_names", "data_file", "default_bound",
           "find_scenario", "load_placement", "load_policy", "load_scenario", "measured_job_ids",
           "placement_names", "policy_names", "shipped_scenarios", "summary", "write_run_outputs",
           "load_sweep", "make_report", "point_filter", "ray_available", "run_ab", "run_capped",
           "run_fill", "run_sweep", "PlacementRecord", "JOB_STATES", "WhyAnswer", "explain_job", "why",
           "Divergence", "diverge", "export_perfetto", "perfetto_trace", "__version__"]
