"""Engines: one small interface, decide(inputs) -> decisions (ARCHITECTURE.md)."""
from .base import Engine, EngineFailure

__all__ = ["Engine", "EngineFailure"]
