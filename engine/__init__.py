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
  (why a job waits: :class:`WhyAnswer`, :data:`JOB_STATES`), :func:`explain_round` (every
  placement of a round explained in full, by replay), :func:`diverge` (the first
  divergence of two runs: :class:`Divergence`), :func:`export_perfetto` /
  :func:`perfetto_trace` (a Chrome/Perfetto trace of a run folder), :func:`parse_condition`
  (the condition language of ``--until``: :class:`Condition`, :class:`ConditionError`,
  :class:`ArmRound`, :func:`condition_columns`)
* experiments and reports (they bring matplotlib, pandas, Ray hooks)

Every name is imported on first use (``import fragscope`` alone loads nothing heavy, so
``fragscope --help`` and pytest sessions with the plug-in stay fast): :func:`run_capped`,
  :func:`run_ab`, :func:`run_fill`, :func:`load_sweep`, :func:`run_sweep`,
  :func:`point_filter`, :func:`ray_available`, :func:`make_report`

The stack, bottom-up, is drawn in README "Architecture and layout".
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazy names below, for type checkers and the import-graph test
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
    from .experiments.ab import run_ab
    from .experiments.fill import run_fill
    from .experiments.measure import run_capped
    from .experiments.sweep.backends import ray_available
    from .experiments.sweep.run import point_filter, run_sweep
    from .experiments.sweep.spec import load_sweep
    from .placement.round import PlacementRecord
    from .reports.report import make_report
    from .debug.why import JOB_STATES, WhyAnswer, explain_job, explain_round, why
    from .debug.diff import Divergence, diverge
    from .debug.export import export_perfetto, perfetto_trace
    from .debug.conditions import ArmRound, Condition, ConditionError, condition_columns, parse_condition

from .model.version import VERSION as __version__  # noqa: E402  (one place: model/version.py)

#: name -> defining module (or (module, name there)) of every public name, imported on
#: first use (PEP 562): ``import fragscope`` itself imports nothing heavy, so the pytest
#: plug-in (``fragscope.pytest_plugin``, loaded into every pytest session where fragscope
#: is installed) costs a session that does not use it almost nothing, and experiments
#: and reports (matplotlib, pandas, the sweep machinery) load only when asked for.
_LAZY: dict[str, str | tuple[str, str]] = {
    "BacklogMonitor": (".core.backlog", "BacklogMonitor"),
    "BacklogStatus": (".core.backlog", "BacklogStatus"),
    "default_bound": (".core.backlog", "default_bound"),
    "ShippedScenario": (".model.packaged", "ShippedScenario"),
    "alibaba_trace": (".model.packaged", "alibaba_trace"),
    "builtin_names": (".model.packaged", "builtin_names"),
    "data_file": (".model.packaged", "data_file"),
    "find_scenario": (".model.packaged", "find_scenario"),
    "shipped_scenarios": (".model.packaged", "shipped_scenarios"),
    "RoundReport": (".core.report", "RoundReport"),
    "DECISION_ACTIONS": (".core.decisions", "ACTIONS"),
    "DECISION_COLUMNS": (".core.decisions", "DECISION_COLUMNS"),
    "DecisionRow": (".core.decisions", "DecisionRow"),
    "measured_job_ids": (".core.results", "measured_job_ids"),
    "summary": (".core.results", "summary"),
    "write_run_outputs": (".core.results", "write_run_outputs"),
    "mark_failed": (".core.results", "mark_failed"),
    "plugin_identity": (".plugins", "identity"),
    "GlobalRandomError": (".plugin_rng", "GlobalRandomError"),
    "LP_CAPACITIES": (".core.mode", "LP_CAPACITIES"),
    "LP_CAPACITY_MEANINGS": (".core.mode", "LP_CAPACITY_MEANINGS"),
    "Mode": (".core.mode", "Mode"),
    "ScenarioConfig": (".core.scenario", "ScenarioConfig"),
    "load_scenario": (".core.scenario", "load_scenario"),
    "GpuView": (".core.views", "GpuView"),
    "JobView": (".core.views", "JobView"),
    "ServerView": (".core.views", "ServerView"),
    "ServerViewCache": (".core.views", "ServerViewCache"),
    "PAPER_PLACEMENTS": (".placement.fgd", "PAPER_PLACEMENTS"),
    "FGD_SCORINGS": (".placement.fgd", "SCORINGS"),
    "load_placement": (".placement.registry", "load_placement"),
    "placement_names": (".placement.registry", "placement_names"),
    "Simulation": (".core.simulation", "Simulation"),
    "Snapshot": (".core.simulation", "Snapshot"),
    "InputError": (".model.errors", "InputError"),
    "SimulationError": (".model.errors", "SimulationError"),
    "policy_names": (".policies", "policy_names"),
    "load_policy": (".policies.registry", "load_policy"),
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
    "explain_round": ".debug.why",
    "WhyAnswer": ".debug.why",
    "JOB_STATES": ".debug.why",
    "diverge": ".debug.diff",
    "Divergence": ".debug.diff",
    "export_perfetto": ".debug.export",
    "parse_condition": ".debug.conditions",
    "Condition": ".debug.conditions",
    "ConditionError": ".debug.conditions",
    "ArmRound": ".debug.conditions",
    "condition_columns": ".debug.conditions",
    "perfetto_trace": ".debug.export",
}


def __getattr__(name: str) -> Any:
    """A lazy name, read from its defining module (imported on first use) at every access:
    not kept here, so a test that patches the defining module is seen, as with a direct
    import (the lookup is a dict and ``sys.modules`` away)."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = where if isinstance(where, tuple) else (where, name)
    return getattr(import_module(module, __name__), attr)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["DECISION_ACTIONS", "DECISION_COLUMNS", "DecisionRow", "FGD_SCORINGS", "PAPER_PLACEMENTS", "LP_CAPACITIES", "LP_CAPACITY_MEANINGS", "Mode", "BacklogMonitor", "BacklogStatus", "GpuView", "InputError", "JobView", "RoundReport",
           "ScenarioConfig", "ServerView", "ServerViewCache", "ShippedScenario", "Simulation",
           "SimulationError", "Snapshot", "alibaba_trace", "builtin_names", "data_file", "default_bound",
           "find_scenario", "load_placement", "load_policy", "load_scenario", "measured_job_ids",
           "placement_names", "policy_names", "shipped_scenarios", "summary", "write_run_outputs",
           "mark_failed", "plugin_identity", "GlobalRandomError",
           "load_sweep", "make_report", "point_filter", "ray_available", "run_ab", "run_capped",
           "run_fill", "run_sweep", "PlacementRecord", "JOB_STATES", "WhyAnswer", "explain_job", "explain_round", "why",
           "Divergence", "diverge", "export_perfetto", "perfetto_trace", "ArmRound", "Condition",
           "ConditionError", "condition_columns", "parse_condition", "__version__"]
