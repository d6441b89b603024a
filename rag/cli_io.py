"""What every command line prints when it fails: with ``--json`` one JSON object on stdout
(``{"error": ...}``), otherwise ``error: ...`` on stderr. Usage errors included: a script
that asked for JSON must never have to parse argparse's text."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn


def wants_json(argv: list[str] | None = None) -> bool:
    return "--json" in (sys.argv[1:] if argv is None else argv)


def fail(as_json: bool, message: str, code: int, **extra: Any) -> int:
    """Print the error the way the caller asked for; return the exit code."""
    if as_json:
        print(json.dumps({**extra, "error": message}, ensure_ascii=False))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code


class UsageError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are raised as :class:`UsageError`, so the
    caller can print them as JSON (exit code 2, as argparse's own)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} ({self.format_usage().strip()})")
