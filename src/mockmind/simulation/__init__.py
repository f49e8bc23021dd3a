"""``mockmind simulate``: many virtual users, each in its own session, running a flow at once
against a local server or a deployed URL (flow.py: the format; runner.py: the users;
results.py and html_report.py: what they measured)."""

from mockmind.simulation.flow import Flow, Step, load_flow
from mockmind.simulation.results import Results
from mockmind.simulation.runner import Settings, Simulation

__all__ = ["Flow", "Results", "Settings", "Simulation", "Step", "load_flow"]
