"""Echo Me: an AI sales representative that sounds like the seller."""

__version__ = "0.1.0"
