"""The debugger's engine side: replay to a round, "why is this job waiting?", the first
divergence of two runs, exports (debugger.md).  Built on the simulator core's public
surface; the commands and the app call it through the public API."""
