"""The environment a test gives the Echo Me processes it starts."""

from __future__ import annotations

import os

MODELS_DIR = "ECHOME_MODELS_DIR"  # set for the whole run by tests/conftest.py


def echome_env(**settings: str) -> dict[str, str]:
    """This process's environment without its Echo Me settings (a started server or command gets
    only those the test names), except the run's shared models folder: each local model is built
    once per run, not once per data dir (the int8 embedder takes ~7 s of CPU to build)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOME_") or k == MODELS_DIR}
    env.update(settings)
    return env
