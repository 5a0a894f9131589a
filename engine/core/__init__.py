"""The simulator core: scenario loading, state, Gavel's mechanism, the simulation loop, views
and run results.  Everything else in fragscope (experiments, reports, the UI) is built on it."""
