"""Cluster topology: servers, their GPUs and the integer GPU IDs Gavel assigns.

Gavel registers GPU types in alphabetical order and, per type, ``count //
gpus_per_server`` servers; GPU IDs are consecutive from 0 in that order.  The
per-type list of per-server ID lists *is* the topology the placement walks, so its
order is part of Gavel's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Server:
    """One server.  ``cpu_milli``/``memory_mib`` of ``None`` mean "not modelled"
    (Gavel's clusters have no CPU or memory), i.e. never a constraint."""

    server_id: int
    gpu_type: str
    gpu_ids: tuple[int, ...]
    cpu_milli: int | None = None
    memory_mib: int | None = None
    name: str = ""

    @property
    def num_gpus(self) -> int:
        return len(self.gpu_ids)


@dataclass
class Cluster:
    """Immutable-by-convention topology shared by clones of a simulation."""

    servers: list[Server] = field(default_factory=list)
    gpu_type_of: list[str] = field(default_factory=list)
    server_of: list[int] = field(default_factory=list)

    def add_server(self, gpu_type: str, num_gpus: int, cpu_milli: int | None = None,
                   memory_mib: int | None = None, name: str = "") -> Server:
        first = len(self.gpu_type_of)
        ids = tuple(range(first, first + num_gpus))
        server = Server(len(self.servers), gpu_type, ids, cpu_milli, memory_mib,
                        name or f"{gpu_type}-{len(self.servers)}")
        self.servers.append(server)
        self.gpu_type_of.extend([gpu_type] * num_gpus)
        self.server_of.extend([server.server_id] * num_gpus)
        return server

    @property
    def num_gpus(self) -> int:
        return len(self.gpu_type_of)

    @property
    def gpu_types(self) -> list[str]:
        """Registered GPU types, alphabetical (the LP's column order)."""
        return sorted({s.gpu_type for s in self.servers})

    def spec(self) -> dict[str, int]:
        """GPUs per type, the LP's right-hand side (Gavel's ``_cluster_spec``)."""
        out: dict[str, int] = {}
        for s in self.servers:
            out[s.gpu_type] = out.get(s.gpu_type, 0) + s.num_gpus
        return out

    @property
    def has_resources(self) -> bool:
        """Whether servers model CPU and memory (Alibaba or explicit clusters).

        Asked once per arriving job; cached per server count (servers are only ever
        added), as a scan of 775 servers per arrival was ~15 % of admitting 15 000 jobs."""
        n = len(self.servers)
        cached = self.__dict__.get("_has_resources")
        if cached is None or cached[0] != n:
            cached = self.__dict__["_has_resources"] = (n, any(s.cpu_milli is not None for s in self.servers))
        return cached[1]

    @property
    def max_gpus_per_server(self) -> int:
        return max((s.num_gpus for s in self.servers), default=0)

    def server_gpu_lists(self, gpu_type: str) -> list[list[int]]:
        """Per-server GPU-ID lists of one type, in registration order."""
        return [list(s.gpu_ids) for s in self.servers if s.gpu_type == gpu_type]


GAVEL_TYPES = ("v100", "p100", "k80")


def gavel_cluster(counts: dict[str, int], gpus_per_server: dict[str, int]) -> Cluster:
    """Build a cluster the way Gavel's ``simulate`` registers workers.

    A remainder of GPUs that does not fill a whole server is dropped, as Gavel does.
    """
    cluster = Cluster()
    for gpu_type in sorted(counts):
        per = gpus_per_server.get(gpu_type, 1)
        for _ in range(counts[gpu_type] // per):
            cluster.add_server(gpu_type, per)
    return cluster


def node_list_cluster(names: list[str], models: list[str], gpus: list[int], cpu_milli: list[int],
                      memory_mib: list[int]) -> Cluster:
    """Servers in file order (an Alibaba node list); CPU-only nodes are left out
    because every round-mode job needs a GPU."""
    cluster = Cluster()
    for name, model, g, cpu, mem in zip(names, models, gpus, cpu_milli, memory_mib):
        if g > 0:
            cluster.add_server(model, int(g), int(cpu), int(mem), name)
    return cluster
