"""The model: the bottom layer of the engine.

Jobs and Gavel's job table, throughput tables, clusters and the Alibaba trace's node and
pod tables, units (:data:`~fragscope.model.units.MILLI`), errors, atomic writes, YAML
reading and the lookup of the data shipped inside the package. Nothing here imports
any other part of fragscope.
"""
