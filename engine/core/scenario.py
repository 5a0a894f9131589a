"""Scenario files: loading, ``--set`` overrides, and the built, validated config.

A scenario is YAML (schema in README "Scenario reference"), or a shipped scenario's
name.  Validation happens once, at load, so the engine can trust its input: every
problem is one :class:`InputError` naming the file and the dotted key (or trace line)
and what is allowed.  The sections have their own modules: ``scenario_checks`` (the
value checker and path rules), ``scenario_cluster`` (cluster, aliases, hostability) and
``scenario_workload`` (trace, generator, pod replay).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import InputError
from ..placement.registry import REGISTRY as PLACEMENT_REGISTRY
from ..placement.registry import asks_exclusive
from ..placement.fgd import SCORINGS as FGD_SCORINGS
from ..policies import REGISTRY as POLICY_REGISTRY
from ..policies import SOLVERS
from ..model.packaged import find_scenario
from ..model.cluster import Cluster
from .mode import LP_CAPACITIES, Mode
from .scenario_checks import Checker
from .scenario_cluster import apply_aliases, build_cluster
from .scenario_workload import (GeneratedWorkload, TraceWorkload, generated_workload, pod_workload,
                                trace_workload)
from ..model.throughputs import ThroughputTable, load_throughputs
from ..model.yaml_io import parse_scalar, read_yaml

_TOP_KEYS = ("name", "description", "seed", "round_seconds", "reset_interval_seconds",
             "cluster", "throughputs", "workload", "policy", "policy_params", "solver", "placement",
             "placement_params", "lp_capacity",
             "sharing",
             "fgd", "interference", "metrics", "max_sim_time_s", "end_when_overloaded")


@dataclass(frozen=True, kw_only=True)
class ScenarioConfig:
    """A validated scenario, ready to build a :class:`~fragscope.core.simulation.Simulation`.

    Built by keyword only (:func:`load_scenario` builds it; so may a test or a tool)."""

    source: str
    name: str
    description: str
    seed: int
    round_seconds: float
    reset_interval: float
    cluster: Cluster
    gpu_counts: dict[str, int]
    throughputs: ThroughputTable
    workload: TraceWorkload | GeneratedWorkload
    # sharing, placement and policy (resolved plug-in references with their parameters)
    # and the LP's capacity rule: the mode the run starts in (core/mode.py)
    mode: Mode
    solver: str
    effective: dict
    fgd_scoring: str = "integer"          # "integer" (FGD simulator's score) or "exact"
    frag_threshold_pct: float = 95.0
    frag_include_cpu_only: bool = True
    interference: tuple[float, ...] = ()  # throughput factor by co-located job count - 1
    fragmentation_metrics: bool = False
    skipped_jobs: dict | None = None  # pod replay: pods left out, by reason
    # Simulated-time cap: a run whose measured jobs are not all done by then is
    # *saturated* (reported as such, never averaged as if finished).  None = no cap.
    max_sim_time: float | None = None
    # Whether a run found hopelessly overloaded (core/backlog.py) ends there, saturated.
    # None: yes without max_sim_time_s, no with it (the run goes to its cap).
    end_when_overloaded: bool | None = None


# ---------------------------------------------------------------- overrides
def apply_overrides(data: dict, overrides: list[str], source: str = "--set") -> set[str]:
    """Apply ``dotted.key=value`` overrides in place; returns the keys set."""
    touched: set[str] = set()
    for item in overrides:
        if "=" not in item:
            raise InputError(source, f"{item!r} is not of the form dotted.key=value")
        key, _, raw = item.partition("=")
        key = key.strip()
        parts = key.split(".")
        if not key or any(not p for p in parts):
            raise InputError(source, f"{item!r}: empty key")
        value = parse_scalar(raw, f"{source} {key}")
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise InputError(source, f"{key}: '{'.'.join(parts[:i + 1])}' is not a mapping, "
                                 "cannot set a key inside it")
            node = nxt
        node[parts[-1]] = value
        touched.add(key)
    return touched


# ---------------------------------------------------------------- loading
def load_scenario(scenario: str | Path | dict, overrides: list[str] | None = None) -> ScenarioConfig:
    """Load, override and validate a scenario (a YAML path or an already-parsed dict)."""
    if isinstance(scenario, dict):
        data, source, base = copy.deepcopy(scenario), "<scenario>", Path.cwd()
    else:
        path = find_scenario(scenario)   # a file, or a shipped scenario by name
        source, base = str(path), path.resolve().parent
        data = read_yaml(path)
        if data is None:
            data = {}
    if not isinstance(data, dict):
        raise InputError(source, f"expected a mapping of scenario keys at the top level, "
                         f"got {type(data).__name__}")
    touched = apply_overrides(data, overrides or [])
    return _build(data, Checker(source, base, touched))


def _build(data: dict, v: Checker) -> ScenarioConfig:
    v.mapping(data, "", _TOP_KEYS)
    name = v.string(data.get("name", ""), "name")
    description = v.string(data.get("description", ""), "description")
    seed = v.integer(data.get("seed", 0), "seed", 0)
    round_seconds = v.number(data.get("round_seconds", 360), "round_seconds", 0, strict=True)
    reset_interval = v.number(data.get("reset_interval_seconds", 1920), "reset_interval_seconds", 0)
    policy_ref, policy_params = v.plugin(POLICY_REGISTRY, data, "policy", "max_min_fairness_perf")
    policy = policy_ref.entry or policy_ref.spec
    solver = v.choice(data.get("solver", "ECOS"), "solver", SOLVERS)
    placement_ref, placement_params = v.plugin(PLACEMENT_REGISTRY, data, "placement", "gavel")
    placement = placement_ref.entry or placement_ref.spec
    exclusive = asks_exclusive(placement_ref)   # Gavel's exclusive assignment with sharing off
    sharing = v.boolean(data.get("sharing", False), "sharing")
    lp_capacity = v.choice(data.get("lp_capacity", "demand"), "lp_capacity", LP_CAPACITIES)

    if "cluster" not in data:
        raise v.err("cluster", "missing (e.g. cluster: {gavel: '36:36:36', gpus_per_server: 1})")
    cluster, counts, cluster_eff = build_cluster(data["cluster"], v)

    tp = v.mapping(data.get("throughputs", {}) or {}, "throughputs", ("file", "aliases"))
    tfile = tp.get("file", "builtin:simulation")
    tpath = v.path(tfile, "throughputs.file")
    table = load_throughputs(tpath)
    table = apply_aliases(table, tp.get("aliases"), cluster, v)
    missing = [w for w in cluster.gpu_types if w not in table.table]
    if missing:
        raise v.err("cluster", f"GPU type(s) {', '.join(missing)} have no rows in "
                    f"{table.source} (it has: {', '.join(table.gpu_types)}); add "
                    "throughputs.aliases, e.g. {G2: {from: v100, scale: 0.8}}")

    if "workload" not in data:
        raise v.err("workload", "missing (trace: PATH, or generate: {lam: ..., window: [s, e]})")
    wl = v.mapping(data["workload"], "workload", ("trace", "window", "generate", "pods"))
    if sum(k in wl for k in ("trace", "generate", "pods")) != 1:
        raise v.err("workload", "give exactly one of 'trace', 'generate' or 'pods'")
    workload: TraceWorkload | GeneratedWorkload
    skipped = None
    if "trace" in wl:
        workload = trace_workload(wl, v, table, cluster, single_server=sharing or not exclusive)
    elif "pods" in wl:
        workload, skipped = pod_workload(wl, v, table, cluster, seed)
    else:
        if "window" in wl:
            raise v.err("workload.window", "for generated workloads use workload.generate.window")
        workload = generated_workload(wl["generate"], v, table, cluster)

    fgd = v.mapping(data.get("fgd", {}) or {}, "fgd", ("scoring", "threshold_pct", "include_cpu_only"))
    scoring = v.choice(fgd.get("scoring", "integer"), "fgd.scoring", FGD_SCORINGS)
    threshold = v.number(fgd.get("threshold_pct", 95), "fgd.threshold_pct", 0, strict=True)
    if threshold > 100:
        raise v.err("fgd.threshold_pct", f"must be <= 100, got {threshold}")
    include_cpu = v.boolean(fgd.get("include_cpu_only", True), "fgd.include_cpu_only")
    interference = data.get("interference", [])
    if (not isinstance(interference, list)
            or any(isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x <= 1
                   for x in interference)):
        raise v.err("interference", "expected a list of throughput factors in (0, 1] for 2, 3, ... "
                    f"jobs sharing a GPU (e.g. [0.9, 0.8]), got {interference!r}")
    met = v.mapping(data.get("metrics", {}) or {}, "metrics", ("fragmentation",))
    frag = met.get("fragmentation", "auto")
    if frag == "auto":
        frag = sharing or not exclusive or cluster.has_resources
    frag = v.boolean(frag, "metrics.fragmentation")
    cap = data.get("max_sim_time_s")
    if cap is not None:
        cap = float(v.number(cap, "max_sim_time_s", 0, strict=True))
    end_early = data.get("end_when_overloaded")
    if end_early is not None:
        end_early = v.boolean(end_early, "end_when_overloaded")

    effective = {
        "name": name, "description": description, "seed": seed,
        "round_seconds": round_seconds, "reset_interval_seconds": reset_interval,
        "cluster": cluster_eff,
        "throughputs": {"file": str(tfile)},
        "workload": _effective_workload(wl, workload),
        "policy": policy, "solver": solver, "placement": placement, "sharing": sharing,
    }
    # Keys added after the issue-2 format appear only when set, so earlier scenarios'
    # outputs stay byte-identical.
    if "aliases" in tp:
        effective["throughputs"]["aliases"] = tp["aliases"]
    for key, value in (("fgd", {"scoring": scoring, "threshold_pct": threshold,
                                "include_cpu_only": include_cpu}),
                       ("interference", list(interference)), ("metrics", {"fragmentation": frag}),
                       ("max_sim_time_s", cap), ("placement_params", placement_params),
                       ("policy_params", policy_params), ("lp_capacity", lp_capacity),
                       ("end_when_overloaded", end_early)):
        if key in data:
            effective[key] = value
    mode = Mode(sharing=sharing, placement=placement_ref, policy=policy_ref, lp_capacity=lp_capacity,
                placement_params=placement_params, policy_params=policy_params)
    return ScenarioConfig(source=v.source, name=name, description=description, seed=seed,
                          round_seconds=round_seconds, reset_interval=reset_interval, cluster=cluster,
                          gpu_counts=counts, throughputs=table, workload=workload, mode=mode,
                          solver=solver, effective=effective, fgd_scoring=scoring,
                          frag_threshold_pct=float(threshold), frag_include_cpu_only=include_cpu,
                          interference=tuple(interference), fragmentation_metrics=frag,
                          skipped_jobs=skipped, max_sim_time=cap, end_when_overloaded=end_early)


def _effective_workload(wl: dict, workload: TraceWorkload | GeneratedWorkload) -> dict:
    if "pods" in wl:
        return {"pods": wl["pods"]}
    if isinstance(workload, TraceWorkload):
        out: dict = {"trace": str(wl["trace"])}
        if workload.window is not None:
            out["window"] = list(workload.window)
        return out
    c = workload.config
    out = {"generate": {"lam": c.lam, "window": list(c.window), "multi_gpu": c.multi_gpu,
                        "steady_state": c.steady_state, "multi_priority": c.multi_priority,
                        "fixed_duration": c.fixed_duration}}
    for key in ("mix", "reference_gpu", "unhostable"):
        if key in wl["generate"]:
            out["generate"][key] = wl["generate"][key]
    return out
