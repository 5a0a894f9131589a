"""Experiments built on the simulator core: sharing A/B, the FGD paper's fill-up, sweeps,
and capped steady-state runs."""
