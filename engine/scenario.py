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
from importlib import resources
from pathlib import Path
from typing import Any

from .cluster import GAVEL_TYPES, Cluster, gavel_cluster
from .errors import InputError
from .jobs import Job
from .policies import POLICY_NAMES, SOLVERS
from .throughputs import BUILTIN_TABLES, ThroughputTable, builtin_path, load_throughputs
from .workload.gavel_generator import GeneratorConfig
from .workload.gavel_trace import read_gavel_trace
from .yaml_io import parse_scalar, read_yaml

PLACEMENTS = ("gavel",)
_TOP_KEYS = ("name", "description", "seed", "round_seconds", "reset_interval_seconds",
             "cluster", "throughputs", "workload", "policy", "solver", "placement", "sharing")
_PATH_KEYS = ("throughputs.file", "workload.trace")


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
    """A validated scenario, ready to build a :class:`~engine.simulation.Simulation`."""

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


def builtin_trace(name: str) -> Path:
    path = Path(str(resources.files("engine") / "data" / "traces" / f"{name}.trace"))
    if not path.exists():
        known = sorted(p.stem for p in path.parent.glob("*.trace"))
        raise InputError("workload.trace", f"unknown built-in trace {name!r} "
                         f"(allowed: {', '.join('builtin:' + k for k in known)})")
    return path


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
        text = self.string(value, key)
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
        path = Path(scenario)
        source, base = str(path), path.resolve().parent
        if path.is_dir():
            raise InputError(source, "is a folder, expected a scenario YAML file")
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
    cl = v.mapping(data["cluster"], "cluster", ("gavel", "gpus_per_server"))
    if "gavel" not in cl:
        raise v.err("cluster.gavel", "missing: GPU counts as 'V:P:K' (v100:p100:k80)")
    counts = v.types_spec(cl["gavel"], "cluster.gavel", allow_int=False)
    per_server = v.types_spec(cl.get("gpus_per_server", 1), "cluster.gpus_per_server", allow_int=True)
    cluster = gavel_cluster({w: n for w, n in counts.items() if n > 0}, per_server)
    if cluster.num_gpus == 0:
        raise v.err("cluster.gavel", f"the cluster has no GPUs ({cl['gavel']!r} with "
                    f"{cl.get('gpus_per_server', 1)!r} GPUs per server)")

    tp = v.mapping(data.get("throughputs", {}) or {}, "throughputs", ("file",))
    tfile = tp.get("file", "builtin:simulation")
    if isinstance(tfile, str) and tfile.startswith("builtin:"):
        tpath = builtin_path(tfile.split(":", 1)[1])
    else:
        tpath = v.path(tfile, "throughputs.file")
    table = load_throughputs(tpath)
    missing = [w for w in cluster.gpu_types if w not in table.table]
    if missing:
        raise v.err("cluster", f"GPU type(s) {', '.join(missing)} have no rows in "
                    f"{table.source} (it has: {', '.join(table.gpu_types)})")

    if "workload" not in data:
        raise v.err("workload", "missing (trace: PATH, or generate: {lam: ..., window: [s, e]})")
    wl = v.mapping(data["workload"], "workload", ("trace", "window", "generate"))
    if ("trace" in wl) == ("generate" in wl):
        raise v.err("workload", "give exactly one of 'trace' or 'generate'")
    workload: TraceWorkload | GeneratedWorkload
    if "trace" in wl:
        workload = _trace_workload(wl, v, table, cluster)
    else:
        if "window" in wl:
            raise v.err("workload.window", "for generated workloads use workload.generate.window")
        workload = _generated_workload(wl["generate"], v)

    effective = {
        "name": name, "description": description, "seed": seed,
        "round_seconds": round_seconds, "reset_interval_seconds": reset_interval,
        "cluster": {"gavel": ":".join(str(counts[w]) for w in GAVEL_TYPES),
                    "gpus_per_server": ":".join(str(per_server[w]) for w in GAVEL_TYPES)},
        "throughputs": {"file": str(tfile)},
        "workload": _effective_workload(wl, workload),
        "policy": policy, "solver": solver, "placement": placement, "sharing": sharing,
    }
    return ScenarioConfig(v.source, name, description, seed, round_seconds, reset_interval,
                          cluster, counts, table, workload, policy, solver, placement, sharing, effective)


def _effective_workload(wl: dict, workload: TraceWorkload | GeneratedWorkload) -> dict:
    if isinstance(workload, TraceWorkload):
        out: dict = {"trace": str(wl["trace"])}
        if workload.window is not None:
            out["window"] = list(workload.window)
        return out
    c = workload.config
    return {"generate": {"lam": c.lam, "window": list(c.window), "multi_gpu": c.multi_gpu,
                         "steady_state": c.steady_state, "multi_priority": c.multi_priority,
                         "fixed_duration": c.fixed_duration}}


def _trace_workload(wl: dict, v: _V, table: ThroughputTable, cluster: Cluster) -> TraceWorkload:
    raw = wl["trace"]
    if isinstance(raw, str) and raw.startswith("builtin:"):
        path = builtin_trace(raw.split(":", 1)[1])
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
        jobs.append(Job(job_id=i, job_type=r.job_type, scale_factor=r.scale_factor,
                        total_steps=r.total_steps, arrival_time=r.arrival_time,
                        priority_weight=r.priority_weight))
    window = None
    if "window" in wl:
        window = v.window(wl["window"], "workload.window")
        if window[1] > len(jobs):
            raise v.err("workload.window", f"end {window[1]} is past the trace's {len(jobs)} jobs")
    return TraceWorkload(str(path), jobs, window)


def _generated_workload(raw: Any, v: _V) -> GeneratedWorkload:
    keys = ("lam", "window", "multi_gpu", "steady_state", "multi_priority", "fixed_duration")
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
    cfg = GeneratorConfig(lam=lam, window=window,
                          multi_gpu=v.boolean(g.get("multi_gpu", False), "workload.generate.multi_gpu"),
                          steady_state=v.boolean(g.get("steady_state", False),
                                                 "workload.generate.steady_state"),
                          multi_priority=v.boolean(g.get("multi_priority", False),
                                                   "workload.generate.multi_priority"),
                          fixed_duration=fixed)
    return GeneratedWorkload(cfg)
