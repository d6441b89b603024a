"""``python -m rag ask``: one question, answered from the index, with citations.

The ``quiz`` and ``eval`` commands live with their features (``rag.quiz.cli``, ``rag.eval.cli``).
"""

from __future__ import annotations

import argparse
import json

from rag.answer import QuestionError
from rag.config import RETRIEVERS
from rag.index.store import IndexMissingError
from rag.text import normalize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Optional here so that a question starting with "-" ("-화살표 함수") reaches
    # ``rag.__main__`` as a leftover word instead of failing as an unknown option.
    parser.add_argument("question", nargs="?", help="the question (Korean or English)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument("--k", type=int, help="chunks to retrieve (default 5)")
    parser.add_argument("--retriever", choices=RETRIEVERS, help="ranking")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--debug", action="store_true", help="include coverage signals")


def main(args: argparse.Namespace) -> int:
    from rag.assistant import Assistant
    from rag.config import load_settings

    try:
        settings = load_settings(
            index_dir=args.index, retrieval={"k": args.k, "mode": args.retriever}
        )
    except ValueError as exc:
        return _fail(args, str(exc), 2)
    assistant = Assistant(settings)
    try:
        answer = assistant.ask(args.question)
    except QuestionError as exc:
        return _fail(args, str(exc), 2)
    except IndexMissingError as exc:
        return _fail(args, str(exc), 3)
    if args.json:
        print(json.dumps({**answer.to_dict(debug=args.debug)}, ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    if answer.notice:
        print(f"\n⏳ {answer.notice}")
    if answer.citations:
        print("\n출처 (sources):")
        for c in answer.citations:
            where = f" — {c.section}" if c.section else ""
            day = f" · {d}" if (d := c.day_beside(c.title)) else ""
            print(f"[{c.n}] {c.title}{day}{where} ({c.location})")
    return 0


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    from rag.cli_io import fail

    return fail(args.json, message, code, question=normalize(args.question or ""))
