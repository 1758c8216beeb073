"""The agent: ReAct and native tool-calling protocols and the loop that runs them."""

from ste.agent.loop import get_protocol, run_agent, run_turns
from ste.agent.trajectory import Step, Trajectory

__all__ = ["Step", "Trajectory", "get_protocol", "run_agent", "run_turns"]
