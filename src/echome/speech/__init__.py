"""Speech text: what a reply becomes before a voice says it (`speakable`)."""

from echome.speech.normalise import speakable

__all__ = ["speakable"]
