"""Rehearsal before going live: buyer questions from the persona's own catalog, answered by its real
pipeline and scored (facts, declines, handoff, style). Sits above answer/, handoff/ and persona/."""
