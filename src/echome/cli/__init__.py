"""`echome` command line (Typer + Rich)."""

from __future__ import annotations

from echome.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
