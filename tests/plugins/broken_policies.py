"""Allocation policies that break the contract in one way each (tests/test_plugins.py)."""

import numpy as np


class WrongShape:
    def allocate(self, problem):
        return np.zeros((len(problem.job_ids), len(problem.gpu_types) + 1))


class NegativeShare:
    def allocate(self, problem):
        x = np.zeros((len(problem.job_ids), len(problem.gpu_types)))
        x[0, 0] = -0.5
        return x


class RowOverOne:
    def allocate(self, problem):
        return np.full((len(problem.job_ids), len(problem.gpu_types)), 0.9)


class OverCapacity:
    def allocate(self, problem):
        x = np.zeros((len(problem.job_ids), len(problem.gpu_types)))
        x[:, 0] = 1.0                       # every job on the first type at once
        x[0, 0] = 1.0 + 0 * problem.capacity[0]
        return x if problem.gpu_demand.sum() > problem.capacity[0] else x * 0 + np.nan


class NotFinite:
    def allocate(self, problem):
        return np.full((len(problem.job_ids), len(problem.gpu_types)), np.nan)


class Raises:
    def allocate(self, problem):
        return 1 / 0 if problem.job_ids else None


# Subclasses of a built-in: checked like any policy, whichever method answers.
from fragscope.policies.max_min_fairness import MaxMinFairnessPerf  # noqa: E402


class NegativeSubclass(MaxMinFairnessPerf):
    """Overrides the built-in's Gavel-form hook and breaks the contract in it."""

    def get_allocation(self, inputs):
        alloc = super().get_allocation(inputs)
        if alloc:
            first = inputs.job_ids[0]
            alloc[first] = dict(alloc[first], **{inputs.worker_types[0]: -0.5})
        return alloc


class RowOverOneSubclass(MaxMinFairnessPerf):
    """Overrides allocate() only: its allocate answers (not the inherited hook), checked."""

    def allocate(self, problem):
        return np.full((len(problem.job_ids), len(problem.gpu_types)), 0.9)
