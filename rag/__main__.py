"""``python -m rag ask|quiz|eval``."""

from __future__ import annotations

import argparse
import sys


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``python -m rag`` arguments; for ``ask``, one leftover word that starts with "-"
    is the question (argparse takes it for an option)."""
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "ask" and args.question is None and len(extra) == 1:
        args.question = extra[0]
        extra = []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "ask" and args.question is None:
        parser.error("the question is missing")
    return args


def main(argv: list[str] | None = None) -> int:
    from rag.cli_io import Parser, UsageError, fail, wants_json

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = Parser(prog="python -m rag")
    sub = parser.add_subparsers(dest="command", required=True)
    from rag import cli_ask

    cli_ask.add_arguments(sub.add_parser("ask", help="answer a question from the notes"))
    from rag.eval import cli as eval_cli

    eval_cli.add_arguments(sub.add_parser("eval", help="evaluate on a gold question set"))
    from rag.quiz import cli as quiz_cli

    quiz_cli.add_arguments(sub.add_parser("quiz", help="quiz yourself on the notes"))
    try:
        args = _parse(parser, argv)
    except UsageError as exc:
        return fail(wants_json(argv), exc.message, 2)
    if args.command == "quiz":
        return quiz_cli.main(args)
    if args.command == "ask":
        return cli_ask.main(args)
    if args.command == "eval":
        return eval_cli.main(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
