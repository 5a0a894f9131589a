"""Plug-ins that are wrong in one way each (tests/test_plugins.py: every one is exit 2 with
a message naming it, and its own traceback line when it raised)."""

import numpy as np


class NoScore:
    def rank(self, task, cluster, nodes):
        return np.zeros(len(nodes))


class WrongLength:
    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes) + 1)


class NotANumber:
    def score(self, task, cluster, nodes):
        s = np.zeros(len(nodes))
        s[0] = np.nan
        return s


class Infinite:
    def score(self, task, cluster, nodes):
        return np.full(len(nodes), np.inf)


class Raises:
    def score(self, task, cluster, nodes):
        return self.helper(nodes)

    def helper(self, nodes):
        raise ValueError("my scorer gave up")   # the line the user must see


class PicksFullGpu:
    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))

    def pick_gpus(self, task, cluster, node):
        if task.num_gpus == 0:
            return ()
        row = cluster.free_gpu_milli[node]
        count = int(cluster.gpu_count[node])
        full = [i for i in range(count) if row[i] < max(task.gpu_milli, 1)]
        rest = [i for i in range(count) if i not in full]
        return tuple((full + rest)[:task.num_gpus])        # distinct, the full ones first


class PicksMissingGpu:
    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))

    def pick_gpus(self, task, cluster, node):
        return tuple(range(100, 100 + task.num_gpus))


class StrictParams:
    def __init__(self, weight=1.0):
        self.weight = weight

    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))


class InitRaises:
    def __init__(self):
        raise RuntimeError("cannot start")

    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))


class WritesToCluster:
    def score(self, task, cluster, nodes):
        cluster.free_cpu_milli[nodes] = 0      # read-only: numpy refuses
        return np.zeros(len(nodes))


NOT_A_CLASS = 3


class HookRaises:
    """The fast hook fails inside (score alone would be fine)."""

    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))

    def place_many(self, task, cluster, count):
        raise KeyError("my hook gave up")      # the line the user must see


class HookIgnoresFilters:
    """The fast hook answers node 0 whatever the task needs: the framework's filters catch it."""

    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))

    def place_many(self, task, cluster, count):
        return [(0, tuple(range(task.num_gpus)))] * count


class HookAnswersNothing:
    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))

    def place_many(self, task, cluster, count):
        return []
