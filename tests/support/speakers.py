"""The GE2E speaker embedder for tests: its weights come from the resemblyzer wheel installed without
its dependencies (the README's install commands). Without them a test skips on a developer's machine
and fails in CI, where the install command must have put them there."""

from __future__ import annotations

import os
from functools import cache

import pytest

from echome.providers.speaker_ge2e import INSTALL, GE2ESpeakerEmbedder, find_weights


@cache
def _embedder() -> GE2ESpeakerEmbedder:
    return GE2ESpeakerEmbedder()


def ge2e_embedder() -> GE2ESpeakerEmbedder:
    if find_weights() is None:
        message = f"GE2E weights are not installed ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return _embedder()
