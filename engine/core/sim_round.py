"""Round mode: the placer, FGD's target workload and the per-round fragmentation figures.

Every round but those of Gavel's own mechanism (sharing off, an exclusive placement)
is placed by a :class:`~fragscope.placement.round.RoundPlacer`, built on first use
(a fork may switch sharing or the placement on).  The same placer measures the
occupancy's fragmentation against the target workload M (fgd.md §1.3, §2.4).
"""

from __future__ import annotations

import random

from ..model.jobs import Job
from .mechanism import MechanismConfig
from .scenario import GeneratedWorkload, ScenarioConfig, TraceWorkload
from .state import FragFigures, SimState
from ..workload.gavel_generator import generate_job


class RoundMode:
    """Round mode of :class:`~fragscope.core.simulation.Simulation` (mixed into it).

    Keeps the placer in ``state.placer`` and caches the target workload in ``_target``
    (shared by clones: it depends on the scenario only)."""

    config: ScenarioConfig
    mech: MechanismConfig
    state: SimState

    def _placer(self):
        """The round-mode placer, built on first use (a fork may switch sharing on)."""
        s = self.state
        if s.placer is None:
            from ..placement.round import RoundPlacer
            cfg = self.config
            ref, params = self._placement_ref()
            s.placer = RoundPlacer(self.mech.cluster, ref, self.target_workload(), cfg.seed,
                                   cfg.fgd_scoring, params)
        return s.placer

    def _placement_ref(self):
        """The current placement's plug-in reference and parameters (from the mode)."""
        mode = self.state.mode
        return mode.placement, mode.placement_params

    def _exclusive(self) -> bool:
        """Whether the placement asks for Gavel's exclusive assignment with sharing off."""
        from ..placement.registry import asks_exclusive
        return asks_exclusive(self.state.mode.placement)

    def target_workload(self):
        """FGD's target workload M (fgd.md §2.4), built from this scenario's jobs."""
        if getattr(self, "_target", None) is None:
            from ..placement.fragmentation import TaskType, build_target_workload, target_workload_from_pods
            cfg = self.config
            kwargs = dict(threshold_pct=cfg.frag_threshold_pct, include_cpu_only=cfg.frag_include_cpu_only)
            wl = cfg.workload
            pod_source = None
            if isinstance(wl, TraceWorkload) and wl.path.endswith(".csv"):
                pod_source = wl.path
            elif isinstance(wl, GeneratedWorkload) and wl.config.pods is not None:
                pod_source = wl.config.pods.source
            if pod_source is not None:
                from ..model.alibaba import read_pod_list
                self._target = target_workload_from_pods(read_pod_list(pod_source), **kwargs)
            else:
                jobs = wl.jobs if isinstance(wl, TraceWorkload) else self._sample_jobs(2000)
                types = [TaskType(j.cpu_milli, j.gpu_milli, j.scale_factor,
                                  "|".join(j.allowed_models or ())) for j in jobs]
                self._target = build_target_workload(types, **kwargs)
        return self._target

    def _sample_jobs(self, n: int) -> list[Job]:
        """The first ``n`` jobs this scenario will generate (same seed, a private stream)."""
        rng = random.Random(self.config.seed + 2)
        return [generate_job(rng, self.config.throughputs, self.config.workload.config, i, 0.0)
                for i in range(n)]

    def _fragmentation(self, exact: bool) -> FragFigures:
        """F_n(M)-based metrics of this round's occupancy (fgd.md §1.3)."""
        placer = self._placer()
        if exact:  # occupancy was not built by the round placer: rebuild it
            placer.load(self.state.assignments, self.state.jobs)
        m = placer.metrics()
        return FragFigures(frag_amount_gpus=m.frag_milli / 1000, frag_rate_pct=m.frag_rate_pct,
                           frag_over_total_pct=m.frag_over_total_pct, unalloc_gpu_pct=m.unalloc_gpu_pct,
                           occupied_nodes=m.occupied_nodes, partial_gpus=m.partial_gpus)
