"""Units of the model: GPU capacity in integer milli-GPU per device.

Every capacity comparison is done on integers ("is this GPU free" never compares floats);
one GPU is :data:`MILLI` milli-GPU. CPU is in milli-cores and memory in MiB.
"""

from __future__ import annotations

MILLI = 1000
"""Milli-GPU in one whole GPU (also milli-cores in one CPU core)."""
