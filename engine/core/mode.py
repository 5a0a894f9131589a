"""The run's mode: how it schedules, as one frozen value.

Everything a fork may change — GPU sharing, the placement, the allocation policy and
what the LP's capacity constraint counts — is one :class:`Mode`.  The scenario gives
the first one (``ScenarioConfig.mode``); a running simulation holds its current one
(``SimState.mode``) and a fork *replaces* it whole (``Simulation.set_mode``), so there
is never a config field shadowed by an override: the mode a simulation runs is the
one it holds, and its outputs record exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..plugins import PluginRef

#: What the LP's capacity constraint counts per job with sharing on: ``demand``
#: (num_gpus × milli/1000, the fractional-aware LP) or ``scale_factor`` (the Gavel
#: fork's first attempt: a 0.25-GPU job still counts as a whole GPU).  The same with
#: sharing off.
LP_CAPACITIES: tuple[str, ...] = ("demand", "scale_factor")

#: What each rule means, in words (the app's palette and the docs read these).
LP_CAPACITY_MEANINGS: dict[str, str] = {
    "demand": "GPU demand (fractional-aware)",
    "scale_factor": "scale factor (the Gavel fork's first attempt)",
}
assert tuple(LP_CAPACITY_MEANINGS) == LP_CAPACITIES


def same_class(a: PluginRef, b: PluginRef) -> bool:
    """Whether two references name the same plug-in class, however they were spelled."""
    return (a.kind, a.module, a.file, a.cls) == (b.kind, b.module, b.file, b.cls)


@dataclass(frozen=True)
class Mode:
    """How a simulation schedules.  Frozen: change it with :func:`dataclasses.replace`
    and ``Simulation.set_mode``, which applies what the change implies."""

    sharing: bool
    placement: PluginRef
    policy: PluginRef
    lp_capacity: str = "demand"
    # keyword parameters of the placement / policy classes (the scenario's own)
    placement_params: dict = field(default_factory=dict)
    policy_params: dict = field(default_factory=dict)

    @property
    def placement_name(self) -> str:
        """The placement as the scenario or the fork spelled it (a registered name, or
        the plug-in spec)."""
        return self.placement.entry or self.placement.spec

    @property
    def policy_name(self) -> str:
        """The policy as the scenario or the fork spelled it."""
        return self.policy.entry or self.policy.spec

    def changed(self, other: "Mode") -> tuple[str, ...]:
        """The fields in which ``other`` differs from this mode, in field order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name))

    def record(self) -> dict[str, Any]:
        """The mode as the scenario keys that set it (what ``summary.json`` records)."""
        out: dict[str, Any] = {"sharing": self.sharing, "placement": self.placement_name,
                               "policy": self.policy_name, "lp_capacity": self.lp_capacity}
        if self.placement_params:
            out["placement_params"] = dict(self.placement_params)
        if self.policy_params:
            out["policy_params"] = dict(self.policy_params)
        return out
