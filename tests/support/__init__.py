"""Helpers the test layers share (lab access, sop environments, simulators)."""
