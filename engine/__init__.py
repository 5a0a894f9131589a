"""fragscope: a steppable GPU-cluster scheduler simulator (this is its public API).

Everything the UI and the commands use is importable from here; nothing in this
package's simulator imports the UI (``fragscope.tui``).

Layout (each folder one concern; the core at the bottom, experiments and reports above it):

* ``core/``        the simulator: scenario, state, mechanism, simulation, views, results
* ``workload/``    where jobs come from: Gavel traces and generator, Alibaba lists, mixes
* ``policies/``    allocation policies (Gavel's LPs, FIFO, ...)
* ``placement/``   where a selected job's GPUs are: node scoring (FGD and its rivals)
* ``experiments/`` built on the core: A/B, the fill-up experiment, sweeps, capped runs
* ``reports/``     plots and Markdown reports of sweeps and fill runs
* ``data/``        packaged data: Gavel's tables and traces, Alibaba's 2023 lists
* ``tui/``         the Textual app and the command line (``fragscope.tui``)
"""

from .core.backlog import BacklogMonitor, BacklogStatus, default_bound
from .model.packaged import ShippedScenario, builtin_names, find_scenario, shipped_scenarios
from .core.report import RoundReport
from .core.results import measured_job_ids, summary, write_run_outputs
from .core.scenario import ScenarioConfig, load_scenario
from .placement.registry import placement_names
from .core.simulation import Simulation, Snapshot
from .model.errors import InputError, SimulationError
from .policies import policy_names

__version__ = "0.2.0"

__all__ = ["BacklogMonitor", "BacklogStatus", "default_bound", "measured_job_ids", "InputError", "placement_names", "policy_names", "RoundReport", "ScenarioConfig", "ShippedScenario",
           "Simulation", "SimulationError", "Snapshot", "builtin_names", "find_scenario", "load_scenario",
           "shipped_scenarios", "summary", "write_run_outputs", "__version__"]
