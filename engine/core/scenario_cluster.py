"""The scenario's ``cluster`` and ``throughputs.aliases`` sections, and the hostability check.

A cluster comes from a Gavel spec string, an Alibaba node list or an explicit server list;
GPU models without throughput rows take a scaled copy of another model.
"""

from __future__ import annotations

from typing import Any

from ..model.errors import InputError
from ..model.cluster import GAVEL_TYPES, Cluster, gavel_cluster, node_list_cluster
from .scenario_checks import Checker
from ..model.throughputs import ThroughputTable

# The Gavel fork's stand-ins for Alibaba GPU models without rows in Gavel's table
# (sharing.md §2); applied only to cluster types the table lacks.
ALIBABA_ALIASES = {"G2": ("v100", 0.80), "G3": ("v100", 0.90), "T4": ("v100", 0.35),
                   "P100": ("p100", 1.0), "V100M16": ("v100", 1.0), "V100M32": ("v100", 1.0),
                   "A10": ("p100", 1.0)}



def build_cluster(raw: Any, v: Checker) -> tuple[Cluster, dict[str, int], dict]:
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
        from ..model.alibaba import read_node_list
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


def apply_aliases(table: ThroughputTable, raw: Any, cluster: Cluster, v: Checker) -> ThroughputTable:
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
