"""``python -m rag quiz``: a quiz as JSON, or asked in the terminal; a thin shell over
:class:`~rag.quiz.service.QuizService`."""

from __future__ import annotations

import argparse
import json
import sys

from rag.index.store import IndexMissingError, load_chunk_store
from rag.quiz.items import TYPES, QuizBatch
from rag.quiz.service import QuizService
from rag.quiz.session import QuizSession, quiz_start

_QUIT = {"q", "quit", "exit", "그만"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic", default="", help="section, note, date range or keyword")
    parser.add_argument(
        "--date", help='only notes of this day, week or month ("2025-03-04", "3월 4일", "이번 주")'
    )
    parser.add_argument("--since", help="only notes from this day (YYYY-MM-DD) on")
    parser.add_argument("--n", type=int, default=5, help="number of items (default 5)")
    parser.add_argument(
        "--type",
        action="append",
        dest="types",
        choices=list(TYPES),
        help="item type; repeat for several (default: all)",
    )
    parser.add_argument("--seed", type=int, help="same seed, same quiz")
    parser.add_argument("--json", action="store_true", help='print {"items": [...], "message"}')
    parser.add_argument("--export-apkg", metavar="PATH", help="also write an Anki deck")
    parser.add_argument("--export-csv", metavar="PATH", help="also write a CSV sheet")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument(
        "--no-review",
        action="store_true",
        help="neither ask due review items nor schedule missed ones",
    )


def topic_from_args(args: argparse.Namespace) -> str:
    """``--date``/``--since`` are topics of the date kind; with ``--topic`` too, the date wins
    (a quiz over one day's notes is the common case)."""
    if getattr(args, "date", None):
        return f"date:{args.date}"
    if getattr(args, "since", None):
        return f"date:{args.since}..9999-12-31"
    return args.topic or ""


def main(args: argparse.Namespace) -> int:
    """Print JSON, or run the quiz in the terminal (stdin may be a pipe; end of input ends
    the quiz and still prints the score)."""
    from rag.config import load_settings

    try:
        settings = load_settings(index_dir=getattr(args, "index", None))
        store = load_chunk_store(settings)
        service = QuizService(settings, lambda: store)
        batch = service.new_quiz(
            topic_from_args(args),
            args.n,
            args.types,
            seed=args.seed,
            include_due=not args.no_review,
        )
    except (IndexMissingError, ValueError) as exc:
        from rag.cli_io import fail

        return fail(args.json, str(exc), 2)
    exported: dict[str, str] = {}
    if args.export_apkg:
        exported["apkg"] = str(service.export_apkg(batch.items, args.export_apkg))
    if args.export_csv:
        exported["csv"] = str(service.export_csv(batch.items, args.export_csv))
    if args.json:
        payload = batch.to_dict()
        if exported:
            payload["exported"] = exported
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0 if batch.items else 1
    return _interactive(service, batch, record=not args.no_review, exported=exported)


def _interactive(
    service: QuizService, batch: QuizBatch, record: bool, exported: dict[str, str]
) -> int:
    out = sys.stdout
    print(batch.message, file=out)
    for kind, path in exported.items():
        print(f"내보냄 ({kind}): {path}", file=out)
    if not batch.items:
        return 1
    session = quiz_start(batch.items, batch.topic, batch.message)
    while session.current is not None:
        if not _ask(service, session, record):
            break
        service.next(session)
    asked, total = len(session.results), session.total
    print(
        f"\n점수: {session.correct_count}/{asked}"
        + (f" (전체 {total}문항)" if asked < total else ""),
        file=out,
    )
    return 0


def _ask(service: QuizService, session: QuizSession, record: bool) -> bool:
    """Ask the current question and grade the reply; ``False`` when the student stops."""
    out = sys.stdout
    item = session.current
    assert item is not None
    print(f"\n[{session.index + 1}/{session.total}] {item.question}", file=out)
    for idx, choice in enumerate(item.choices, start=1):
        print(f"  {idx}) {choice}", file=out)
    print("답 > ", end="", file=out, flush=True)
    line = sys.stdin.readline()
    if not line:  # EOF: a pipe ran out or the user pressed Ctrl-D
        print("\n(입력이 끝나 퀴즈를 마칩니다.)", file=out)
        return False
    if not sys.stdin.isatty():
        print(line.rstrip("\n"), file=out)  # a piped answer is not echoed by a terminal
    if line.strip().lower() in _QUIT:
        return False
    service.answer(session, line.strip(), record=record)
    print(session.results[-1].feedback, file=out)
    return True
