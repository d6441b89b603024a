"""``python -m rag eval``: run the gold set, print tables, write JSON / report / plot.

Exit codes: 0 done, 2 bad input (gold file, retriever name, settings), 3 no index yet.
The evaluation modules are imported in :func:`main`, so that building the ``python -m rag``
parser does not load LangChain for the other commands.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.eval.runners import EvalResult, ProgressCallback

# hit@5 is the widest metric DESIGN.md asks for, so five hits by default (the app's k too).
DEFAULT_K = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", required=True, help="gold questions (JSONL, DESIGN.md format)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument("--corpus", help="notes folder (TIL_CORPUS_DIR), for the baseline")
    parser.add_argument(
        "--retriever",
        action="append",
        help="hybrid|hybrid-rrf|dense|bm25|baseline; repeat or comma-separate (default hybrid)",
    )
    parser.add_argument("--k", type=int, default=DEFAULT_K, help="chunks retrieved per question")
    parser.add_argument("--json", dest="json_out", metavar="OUT", help="write results as JSON")
    parser.add_argument("--report", help="write a markdown report (e.g. docs/eval-report.md)")
    parser.add_argument("--plot", help="hit@k plot (PNG); default next to --report")
    parser.add_argument("--limit", type=int, help="only the first N gold questions (debugging)")
    parser.add_argument("--no-judge", action="store_true", help="skip LLM-judged faithfulness")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or tables")


@contextlib.contextmanager
def _progress_bar(console: Any, quiet: bool) -> Iterator[ProgressCallback | None]:
    """A bar per configuration on stderr (transient, so it never mixes with the tables)."""
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(name: str, i: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(f"eval {name}", total=total)
        bar.update(tasks[name], completed=i)

    bar.start()
    try:
        yield update
    finally:
        bar.stop()


def _write_outputs(result: EvalResult, args: argparse.Namespace) -> None:
    from rich.console import Console

    from rag.eval.report import PIPED_WIDTH, plot_hitk, render_tables, write_report

    if not args.quiet:
        # With the JSON on stdout, the tables go to stderr so the JSON stays parseable.
        to_stderr = args.json_out == "-"
        tty = sys.stderr.isatty() if to_stderr else sys.stdout.isatty()
        render_tables(result, Console(stderr=to_stderr, width=None if tty else PIPED_WIDTH))
    command = "python -m rag " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["eval"] else ""
    if args.json_out:
        payload = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
        if args.json_out == "-":
            print(payload)
        else:
            out = Path(args.json_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(payload, encoding="utf-8")
    plot_path = args.plot
    if args.report and not plot_path:
        plot_path = str(Path(args.report).with_name("eval-hitk.png"))
    if plot_path:
        plot_hitk(result, plot_path)
    if args.report:
        write_report(result, args.report, plot_path, gold_path=args.gold, command=command)


def main(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from rag.config import load_settings
    from rag.eval.gold import load_gold
    from rag.eval.runners import evaluate, parse_retrievers
    from rag.index.store import IndexMissingError

    err = Console(stderr=True)
    try:
        retrievers = parse_retrievers(args.retriever)
        gold = load_gold(args.gold)
        settings = load_settings(index_dir=args.index, corpus_dir=args.corpus)
    except (ValueError, OSError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    if args.limit:
        gold = gold[: args.limit]
    try:
        with _progress_bar(err, args.quiet) as progress:
            result = evaluate(
                gold, settings, retrievers, k=args.k, judge=not args.no_judge, progress=progress
            )
    except IndexMissingError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 3
    _write_outputs(result, args)
    return 0
