"""Synthetic demo clinic: realistic, deterministic, and never real patient data."""
