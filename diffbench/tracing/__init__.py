"""Python front end: NumPy-style functions traced into the IR (see ``tracer``)."""
from .tracer import SymbolicDim, TraceError, Traced, trace

__all__ = ["trace", "Traced", "TraceError", "SymbolicDim"]
