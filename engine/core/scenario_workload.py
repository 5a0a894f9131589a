"""The scenario's ``workload`` section: a Gavel trace, Gavel's generator, or an Alibaba pod replay.

Every job that no server of the cluster could ever host is caught here, at load time,
naming the trace line or the pod, instead of waiting forever in the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.errors import InputError
from ..workload.gavel_generator import GeneratorConfig
from ..workload.gavel_trace import read_gavel_trace
from ..model.cluster import Cluster
from ..model.jobs import Job
from ..model.packaged import is_builtin
from .scenario_checks import Checker
from .scenario_cluster import unhostable
from ..model.throughputs import ThroughputTable


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



def trace_workload(wl: dict, v: Checker, table: ThroughputTable, cluster: Cluster,
                    single_server: bool = False) -> TraceWorkload:
    raw = wl["trace"]
    if is_builtin(raw):
        path = v.path(raw, "workload.trace")
        label = raw
    else:
        path = v.path(raw, "workload.trace")
        label = str(raw) if not Path(str(raw)).is_absolute() else str(path)
        if not path.exists():
            raise InputError(v.source_of("workload.trace"), f"key 'workload.trace': file not found: {path}")
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


def generated_workload(raw: Any, v: Checker, table: ThroughputTable, cluster: Cluster) -> GeneratedWorkload:
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
def pod_workload(wl: dict, v: Checker, table: ThroughputTable, cluster: Cluster, seed: int):
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
