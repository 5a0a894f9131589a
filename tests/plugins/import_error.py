"""A plug-in file that fails while it is imported."""

import numpy as np

WEIGHTS = np.array([1, 2, 3])[7]   # IndexError at import time


class Fine:
    def score(self, task, cluster, nodes):
        return np.zeros(len(nodes))
