"""Scenario files: loading, ``--set`` overrides, validation, and the built config.

A scenario is YAML (schema in README "Scenario reference").  Validation happens
here, once, so the engine can trust its input: every problem is one
:class:`InputError` naming the file and the dotted key (or trace line) and what is
allowed.  Relative paths resolve against the scenario file's folder; paths given
with ``--set`` resolve against the current directory, where the user typed them.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cluster import GAVEL_TYPES, Cluster, gavel_cluster, node_list_cluster
from ..errors import InputError
from .jobs import Job
from ..policies import POLICY_NAMES, SOLVERS
from .builtin import builtin_data, find_scenario, is_builtin
from .throughputs import ThroughputTable, load_throughputs
from ..workload.gavel_generator import GeneratorConfig
from ..workload.gavel_trace import read_gavel_trace
from .yaml_io import parse_scalar, read_yaml

PLACEMENTS = ("gavel", "random", "bestfit", "dotprod", "packing", "clustering", "fgd")
_TOP_KEYS = ("name", "description", "seed", "round_seconds", "reset_interval_seconds",
             "cluster", "throughputs", "workload", "policy", "solver", "placement", "sharing",
             "fgd", "interference", "metrics", "max_sim_time_s")
# The Gavel fork's stand-ins for Alibaba GPU models without rows in Gavel's table
# (sharing.md §2); applied only to cluster types the table lacks.
ALIBABA_ALIASES = {"G2": ("v100", 0.80), "G3": ("v100", 0.90), "T4": ("v100", 0.35),
                   "P100": ("p100", 1.0), "V100M16": ("v100", 1.0), "V100M32": ("v100", 1.0),
                   "A10": ("p100", 1.0)}


@dataclass(frozen=True)
class TraceWorkload:
    path: str
    jobs: list[Job]
    window: tuple[int, int] | None


@dataclass(frozen=True)
class GeneratedWorkload:
    config: GeneratorConfig

    @property
    def window(self) -> tuple[int, int]:
        return self.config.window

    @property
    def num_total_jobs(self) -> int | None:
        """Static workloads (lam = 0) generate exactly the window's jobs, as Gavel's driver."""
        lo, hi = self.config.window
        return hi - lo if self.config.lam == 0 else None


@dataclass(frozen=True)
class ScenarioConfig:
    """A validated scenario, ready to build a :class:`~fragscope.core.simulation.Simulation`."""

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
    policy: str
    solver: str
    placement: str
    sharing: bool
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


# which kind of packaged data a ``builtin:NAME`` value of each path key names
_PATH_KINDS = {"throughputs.file": "throughputs", "workload.trace": "trace",
               "cluster.nodes_csv": "nodes", "workload.generate.mix": "pods",
               "workload.pods.file": "pods"}


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


# ---------------------------------------------------------------- validation helpers
class _V:
    """Validation context: where the scenario came from, for messages."""

    def __init__(self, source: str, base: Path, touched: set[str]) -> None:
        self.source, self.base, self.touched = source, base, touched

    def err(self, key: str, msg: str) -> InputError:
        return InputError(self.source, f"key '{key}': {msg}")

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.err(key, f"expected a mapping with keys {', '.join(allowed)}, "
                           f"got {type(value).__name__}")
        for k in value:
            if k not in allowed:
                hint = difflib.get_close_matches(str(k), allowed, n=1)
                dym = f"; did you mean '{hint[0]}'?" if hint else ""
                full = f"{key}.{k}" if key else str(k)
                raise InputError(self.source, f"unknown key '{full}' (allowed: "
                                 f"{', '.join(allowed)}){dym}")
        return value

    def integer(self, value: Any, key: str, lo: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(key, f"expected an integer, got {value!r}")
        if lo is not None and value < lo:
            raise self.err(key, f"must be >= {lo}, got {value}")
        return value

    def number(self, value: Any, key: str, lo: float | None = None, strict: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.err(key, f"expected a number, got {value!r}")
        if lo is not None and (value <= lo if strict else value < lo):
            raise self.err(key, f"must be {'>' if strict else '>='} {lo}, got {value}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.err(key, f"expected true or false, got {value!r}")
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.err(key, f"expected a string, got {value!r}")
        return value

    def choice(self, value: Any, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.err(key, f"{value!r} is not allowed (allowed: {', '.join(allowed)})")
        return value

    def window(self, value: Any, key: str) -> tuple[int, int]:
        if (not isinstance(value, list) or len(value) != 2
                or any(isinstance(v, bool) or not isinstance(v, int) for v in value)):
            raise self.err(key, f"expected [start, end] job IDs (two integers), got {value!r}")
        lo, hi = value
        if not 0 <= lo < hi:
            raise self.err(key, f"need 0 <= start < end, got [{lo}, {hi}]")
        return lo, hi

    def path(self, value: Any, key: str) -> Path:
        """A path value: ``builtin:NAME`` (packaged data, :mod:`.builtin`), or a file path
        relative to the scenario's folder (to the current folder when set by ``--set``)."""
        text = self.string(value, key)
        if is_builtin(text):
            return builtin_data(text, _PATH_KINDS[key], f"{self.source}: key {key!r}")
        base = Path.cwd() if key in self.touched else self.base
        p = Path(text).expanduser()
        return p if p.is_absolute() else base / p

    def types_spec(self, value: Any, key: str, allow_int: bool) -> dict[str, int]:
        """'V:P:K' for v100:p100:k80 (or a single int for every type)."""
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise self.err(key, f"must be >= 1, got {value}")
            return {w: value for w in GAVEL_TYPES}
        parts = str(value).split(":") if isinstance(value, str) else []
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            what = "an integer or " if allow_int else ""
            raise self.err(key, f"expected {what}'V:P:K' (v100:p100:k80 counts, e.g. '36:36:36'), "
                           f"got {value!r}")
        nums = [int(p) for p in parts]
        if allow_int and min(nums) < 1:
            raise self.err(key, f"GPUs per server must be >= 1, got {value!r}")
        return dict(zip(GAVEL_TYPES, nums))


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
    return _build(data, _V(source, base, touched))


def _build(data: dict, v: _V) -> ScenarioConfig:
    v.mapping(data, "", _TOP_KEYS)
    name = v.string(data.get("name", ""), "name")
    description = v.string(data.get("description", ""), "description")
    seed = v.integer(data.get("seed", 0), "seed", 0)
    round_seconds = v.number(data.get("round_seconds", 360), "round_seconds", 0, strict=True)
    reset_interval = v.number(data.get("reset_interval_seconds", 1920), "reset_interval_seconds", 0)
    policy = v.choice(data.get("policy", "max_min_fairness_perf"), "policy", POLICY_NAMES)
    solver = v.choice(data.get("solver", "ECOS"), "solver", SOLVERS)
    placement = v.choice(data.get("placement", "gavel"), "placement", PLACEMENTS)
    sharing = v.boolean(data.get("sharing", False), "sharing")

    if "cluster" not in data:
        raise v.err("cluster", "missing (e.g. cluster: {gavel: '36:36:36', gpus_per_server: 1})")
    cluster, counts, cluster_eff = _cluster(data["cluster"], v)

    tp = v.mapping(data.get("throughputs", {}) or {}, "throughputs", ("file", "aliases"))
    tfile = tp.get("file", "builtin:simulation")
    tpath = v.path(tfile, "throughputs.file")
    table = load_throughputs(tpath)
    table = _apply_aliases(table, tp.get("aliases"), cluster, v)
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
        workload = _trace_workload(wl, v, table, cluster, single_server=sharing or placement != "gavel")
    elif "pods" in wl:
        workload, skipped = _pod_workload(wl, v, table, cluster, seed)
    else:
        if "window" in wl:
            raise v.err("workload.window", "for generated workloads use workload.generate.window")
        workload = _generated_workload(wl["generate"], v, table, cluster)

    fgd = v.mapping(data.get("fgd", {}) or {}, "fgd", ("scoring", "threshold_pct", "include_cpu_only"))
    scoring = v.choice(fgd.get("scoring", "integer"), "fgd.scoring", ("integer", "exact"))
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
        frag = sharing or placement != "gavel" or cluster.has_resources
    frag = v.boolean(frag, "metrics.fragmentation")
    cap = data.get("max_sim_time_s")
    if cap is not None:
        cap = float(v.number(cap, "max_sim_time_s", 0, strict=True))

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
                       ("max_sim_time_s", cap)):
        if key in data:
            effective[key] = value
    return ScenarioConfig(v.source, name, description, seed, round_seconds, reset_interval,
                          cluster, counts, table, workload, policy, solver, placement, sharing,
                          effective, scoring, float(threshold), include_cpu, tuple(interference),
                          frag, skipped, cap)


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


def _trace_workload(wl: dict, v: _V, table: ThroughputTable, cluster: Cluster,
                    single_server: bool = False) -> TraceWorkload:
    raw = wl["trace"]
    if is_builtin(raw):
        path = v.path(raw, "workload.trace")
        label = raw
    else:
        path = v.path(raw, "workload.trace")
        label = str(raw) if not Path(str(raw)).is_absolute() else str(path)
        if not path.exists():
            raise InputError(v.source, f"key 'workload.trace': file not found: {path}")
    rows = read_gavel_trace(path, label)
    spec = cluster.spec()
    jobs = []
    for i, r in enumerate(rows):
        key = (r.job_type, r.scale_factor)
        if not table.has_job_type(key):
            raise InputError(f"{label}:{r.line}", f"job type {r.job_type!r} with scale factor "
                             f"{r.scale_factor} has no row in {table.source}")
        if not any(table.get(w, key) > 0 and spec[w] >= r.scale_factor for w in spec):
            raise InputError(f"{label}:{r.line}", f"job {i} ({r.job_type}, {r.scale_factor} GPUs) "
                             "can never run: no GPU type in the cluster has that many GPUs and a "
                             "non-zero throughput for it")
        if cluster.has_resources or single_server:
            why = unhostable(cluster, table, r.scale_factor, 1000, 0, 0, None, r.job_type)
            if why:
                mode = ("" if cluster.has_resources else " with sharing on or a placement other "
                        "than gavel, where a job must fit on one server (raise "
                        "cluster.gpus_per_server, or run with sharing off and placement gavel)")
                raise InputError(f"{label}:{r.line}", f"job {i} ({r.scale_factor} GPUs) can never "
                                 f"run{mode}: {why}")
        jobs.append(Job(job_id=i, job_type=r.job_type, scale_factor=r.scale_factor,
                        total_steps=r.total_steps, arrival_time=r.arrival_time,
                        priority_weight=r.priority_weight))
    window = None
    if "window" in wl:
        window = v.window(wl["window"], "workload.window")
        if window[1] > len(jobs):
            raise v.err("workload.window", f"end {window[1]} is past the trace's {len(jobs)} jobs")
    return TraceWorkload(str(path), jobs, window)


def _generated_workload(raw: Any, v: _V, table: ThroughputTable, cluster: Cluster) -> GeneratedWorkload:
    keys = ("lam", "window", "multi_gpu", "steady_state", "multi_priority", "fixed_duration",
            "mix", "reference_gpu", "unhostable")
    g = v.mapping(raw, "workload.generate", keys)
    if "lam" not in g:
        raise v.err("workload.generate.lam", "missing: mean inter-arrival time in seconds "
                    "(0 = every job at t=0)")
    lam = float(v.number(g["lam"], "workload.generate.lam", 0))
    if "window" not in g:
        raise v.err("workload.generate.window", "missing: [start, end) job IDs to measure")
    window = v.window(g["window"], "workload.generate.window")
    if lam == 0 and window[0] != 0:
        raise v.err("workload.generate.window", "with lam = 0 (static workload) the window must "
                    "start at 0: Gavel generates exactly end - start jobs")
    fixed = g.get("fixed_duration")
    if fixed is not None:
        fixed = v.number(fixed, "workload.generate.fixed_duration", 0, strict=True)
    mix = g.get("mix", "gavel")
    pods = None
    if not isinstance(mix, str) or not (mix in ("gavel", "alibaba-fork") or mix.startswith("openb:")):
        raise v.err("workload.generate.mix", f"expected gavel, alibaba-fork or openb:<pod list CSV>, "
                    f"got {mix!r}")
    if mix.startswith("openb:"):
        from ..workload.mixes import pod_pool
        path = v.path(mix.split(":", 1)[1], "workload.generate.mix")
        if not path.exists():
            raise v.err("workload.generate.mix", f"pod list not found: {path}")
        pods = pod_pool(str(path))
        policy = v.choice(g.get("unhostable", "error"), "workload.generate.unhostable", ("error", "skip"))
        kept = []
        for d in pods.demands:
            why = unhostable(cluster, table, d.num_gpus, d.gpu_milli, d.cpu_milli, d.memory_mib,
                             d.allowed_models, None)
            if not why:
                kept.append(d)
            elif policy == "error":
                raise InputError(pods.source, f"a pod of the mix can never run on this cluster "
                                 f"({d.num_gpus} x {d.gpu_milli} milli-GPU, {d.cpu_milli} mCPU, "
                                 f"{d.memory_mib} MiB): {why}; set workload.generate.unhostable: skip "
                                 "to sample only pods the cluster can host")
        if not kept:
            raise v.err("workload.generate.mix", "no pod of the mix fits any server of this cluster")
        pods = type(pods)(pods.source, tuple(kept))
    reference = g.get("reference_gpu", "v100")
    if reference not in table.table:
        raise v.err("workload.generate.reference_gpu", f"{reference!r} has no throughput rows "
                    f"(known: {', '.join(table.gpu_types)})")
    cfg = GeneratorConfig(lam=lam, window=window, mix="openb" if pods else mix, pods=pods,
                          reference_gpu=reference,
                          multi_gpu=v.boolean(g.get("multi_gpu", False), "workload.generate.multi_gpu"),
                          steady_state=v.boolean(g.get("steady_state", False),
                                                 "workload.generate.steady_state"),
                          multi_priority=v.boolean(g.get("multi_priority", False),
                                                   "workload.generate.multi_priority"),
                          fixed_duration=fixed)
    return GeneratedWorkload(cfg)


# ---------------------------------------------------------------- cluster sources
def _cluster(raw: Any, v: _V) -> tuple[Cluster, dict[str, int], dict]:
    """Build the cluster from exactly one of gavel / nodes_csv / servers.

    Returns the cluster, Gavel's requested per-type counts (steady-state fill) and
    the cluster's effective-scenario entry."""
    cl = v.mapping(raw, "cluster", ("gavel", "gpus_per_server", "nodes_csv", "servers"))
    sources = [k for k in ("gavel", "nodes_csv", "servers") if k in cl]
    if len(sources) != 1:
        raise v.err("cluster", "give exactly one of 'gavel' ('V:P:K'), 'nodes_csv' (an Alibaba "
                    "node list) or 'servers' (a list of server groups)")
    if "gpus_per_server" in cl and sources[0] != "gavel":
        raise v.err("cluster.gpus_per_server", "only applies to cluster.gavel")
    if "gavel" in cl:
        counts = v.types_spec(cl["gavel"], "cluster.gavel", allow_int=False)
        per_server = v.types_spec(cl.get("gpus_per_server", 1), "cluster.gpus_per_server", allow_int=True)
        cluster = gavel_cluster({w: n for w, n in counts.items() if n > 0}, per_server)
        if cluster.num_gpus == 0:
            raise v.err("cluster.gavel", f"the cluster has no GPUs ({cl['gavel']!r} with "
                        f"{cl.get('gpus_per_server', 1)!r} GPUs per server)")
        eff = {"gavel": ":".join(str(counts[w]) for w in GAVEL_TYPES),
               "gpus_per_server": ":".join(str(per_server[w]) for w in GAVEL_TYPES)}
        return cluster, counts, eff
    if "nodes_csv" in cl:
        from ..workload.alibaba import read_node_list
        path = v.path(cl["nodes_csv"], "cluster.nodes_csv")
        if not path.exists():
            raise v.err("cluster.nodes_csv", f"file not found: {path}")
        nodes = read_node_list(path)
        cluster = node_list_cluster(list(nodes.names), list(nodes.model), [int(x) for x in nodes.gpu_count],
                                    [int(x) for x in nodes.cpu_milli], [int(x) for x in nodes.memory_mib])
        if cluster.num_gpus == 0:
            raise InputError(str(path), "node list has no GPU nodes")
        return cluster, cluster.spec(), {"nodes_csv": str(cl["nodes_csv"])}
    groups = cl["servers"]
    if not isinstance(groups, list) or not groups:
        raise v.err("cluster.servers", "expected a non-empty list of {model, count, gpus, cpu_milli, "
                    "memory_mib} entries")
    cluster = Cluster()
    for i, g in enumerate(groups):
        key = f"cluster.servers[{i}]"
        g = v.mapping(g, key, ("model", "count", "gpus", "cpu_milli", "memory_mib"))
        for req in ("model", "count", "gpus"):
            if req not in g:
                raise v.err(f"{key}.{req}", "missing")
        model = v.string(g["model"], f"{key}.model")
        count = v.integer(g["count"], f"{key}.count", 1)
        gpus = v.integer(g["gpus"], f"{key}.gpus", 1)
        cpu = v.integer(g["cpu_milli"], f"{key}.cpu_milli", 1) if "cpu_milli" in g else None
        mem = v.integer(g["memory_mib"], f"{key}.memory_mib", 1) if "memory_mib" in g else None
        for _ in range(count):
            cluster.add_server(model, gpus, cpu, mem)
    return cluster, cluster.spec(), {"servers": groups}


def _apply_aliases(table: ThroughputTable, raw: Any, cluster: Cluster, v: _V) -> ThroughputTable:
    aliases: dict[str, tuple[str, float]] = {}
    for w in cluster.gpu_types:
        if w not in table.table and w in ALIBABA_ALIASES:
            aliases[w] = ALIBABA_ALIASES[w]
    if raw is not None:
        raw = v.mapping(raw, "throughputs.aliases", tuple(str(k) for k in raw) if isinstance(raw, dict) else ())
        for name, spec in raw.items():
            key = f"throughputs.aliases.{name}"
            spec = v.mapping(spec, key, ("from", "scale"))
            if "from" not in spec:
                raise v.err(f"{key}.from", "missing: the GPU type to copy")
            aliases[str(name)] = (v.string(spec["from"], f"{key}.from"),
                                  float(v.number(spec.get("scale", 1.0), f"{key}.scale", 0, strict=True)))
    for name, (base, scale) in aliases.items():
        table = table.with_alias(name, base, scale)
    return table


def unhostable(cluster: Cluster, table: ThroughputTable, num_gpus: int, gpu_milli: int,
               cpu_milli: int, memory_mib: int, allowed: tuple[str, ...] | None,
               job_type: str | None) -> str | None:
    """Why no server of any type could ever host this job (None if one could)."""
    reasons = []
    for srv in cluster.servers:
        if allowed is not None and srv.gpu_type not in allowed:
            reasons.append("model not allowed")
            continue
        if job_type is not None and table.get(srv.gpu_type, (job_type, num_gpus)) <= 0:
            reasons.append("zero throughput")
            continue
        if srv.num_gpus < num_gpus:
            reasons.append("too few GPUs per server")
            continue
        if srv.cpu_milli is not None and srv.cpu_milli < cpu_milli:
            reasons.append("not enough CPU")
            continue
        if srv.memory_mib is not None and srv.memory_mib < memory_mib:
            reasons.append("not enough memory")
            continue
        return None
    common = max(set(reasons), key=reasons.count) if reasons else "no servers"
    return f"no server fits ({common} on most servers)"


def _pod_workload(wl: dict, v: _V, table: ThroughputTable, cluster: Cluster, seed: int):
    from ..workload.pod_replay import replay_pods
    p = v.mapping(wl["pods"], "workload.pods", ("file", "time_scale", "limit", "reference_gpu",
                                                "unhostable"))
    if "file" not in p:
        raise v.err("workload.pods.file", "missing: an Alibaba pod list CSV")
    path = v.path(p["file"], "workload.pods.file")
    if not path.exists():
        raise v.err("workload.pods.file", f"file not found: {path}")
    scale = float(v.number(p.get("time_scale", 1.0), "workload.pods.time_scale", 0, strict=True))
    limit = v.integer(p["limit"], "workload.pods.limit", 1) if "limit" in p else None
    reference = p.get("reference_gpu", "v100")
    if reference not in table.table:
        raise v.err("workload.pods.reference_gpu", f"{reference!r} has no throughput rows")
    policy = v.choice(p.get("unhostable", "error"), "workload.pods.unhostable", ("error", "skip"))
    result = replay_pods(str(path), table, seed, scale, limit, reference)
    jobs, skipped_unhostable = [], 0
    for job in result.jobs:
        why = unhostable(cluster, table, job.scale_factor, job.gpu_milli, job.cpu_milli,
                         job.memory_mib, job.allowed_models, job.job_type)
        if why:
            if policy == "error":
                raise InputError(str(path), f"pod #{job.job_id} in arrival order can never run on "
                                 f"this cluster: {why} (set workload.pods.unhostable: skip to drop such pods)")
            skipped_unhostable += 1
            continue
        jobs.append(job)
    import dataclasses
    jobs = [dataclasses.replace(j, job_id=i) for i, j in enumerate(jobs)]
    skipped = {"cpu_only": result.skipped_cpu_only, "no_duration": result.skipped_no_duration,
               "unhostable": skipped_unhostable}
    return TraceWorkload(str(path), jobs, None), skipped
