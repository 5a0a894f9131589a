"""fragscope's simulation engine: public API.

Everything the UI and the commands use is importable from here; nothing in this
package imports the UI.
"""

from .errors import InputError, SimulationError
from .policies import POLICY_NAMES
from .report import RoundReport
from .results import summary, write_run_outputs
from .scenario import PLACEMENTS, ScenarioConfig, load_scenario
from .simulation import Simulation, Snapshot

__version__ = "0.1.0"

__all__ = ["InputError", "PLACEMENTS", "POLICY_NAMES", "RoundReport", "ScenarioConfig", "Simulation", "SimulationError",
           "Snapshot", "load_scenario", "summary", "write_run_outputs", "__version__"]
