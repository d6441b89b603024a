"""Answer quality side by side: hybrid, dense, BM25 and the LangChain tutorial baseline on the
gold set. Writes bench/results/quality.json (and, with --report, docs/eval-report.md + plot).

    python bench/quality.py --index /tmp/evalidx          # an existing note + six pages index
    python bench/quality.py --build /tmp/bench-quality    # build one from the fixture site

The metric definitions live in rag/eval/metrics.py; this script only chooses what to compare.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    GOLD,
    copy_seed_note,
    fixture_site,
    note_settings,
    write_result,
)
from rag.config import load_settings  # noqa: E402
from rag.eval.gold import load_gold  # noqa: E402
from rag.eval.report import plot_hitk, render_tables, write_report  # noqa: E402
from rag.eval.runners import evaluate, parse_retrievers  # noqa: E402

CONFIGS = ("hybrid", "hybrid-rrf", "dense", "bm25", "baseline")
BULKY_FIELDS = frozenset({"answer", "citations", "retrieved", "timings_ms"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--index", help="existing index (default: TIL_INDEX_DIR)")
    parser.add_argument(
        "--build", metavar="DIR", help="build a note + six pages index in DIR from the fixture site"
    )
    parser.add_argument("--retriever", default=",".join(CONFIGS))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--report", help="also write the markdown report (docs/eval-report.md)")
    parser.add_argument("--plot", help="hit@k plot; default next to --report")
    parser.add_argument("--out", default="quality", help="result name under bench/results/")
    args = parser.parse_args(argv)
    try:
        retrievers = parse_retrievers([args.retriever])
    except ValueError as exc:  # a typo fails here, before any index is built
        parser.error(str(exc))

    build_seconds = None
    if args.build:
        from ingest.sync import sync_index

        root = Path(args.build)
        copy_seed_note(root / "corpus")
        with fixture_site() as site:
            settings = note_settings(root, site)
            t0 = time.perf_counter()
            report = sync_index(settings)
            build_seconds = time.perf_counter() - t0
        if report.failed:
            print(f"warning: {len(report.failed)} pages failed: {report.failed}", file=sys.stderr)
    else:
        settings = load_settings(index_dir=args.index)

    gold = load_gold(args.gold)
    result = evaluate(gold, settings, retrievers, k=args.k)
    render_tables(result)
    payload = result.to_dict()
    payload["meta"]["index_build_seconds"] = build_seconds
    # The committed result keeps each question's verdict, not the answers and retrieved chunks
    # (those are the index's text, rebuilt by running this again).
    payload["questions"] = [
        {k: v for k, v in q.items() if k not in BULKY_FIELDS} for q in payload["questions"]
    ]
    path = write_result(args.out, payload)
    print(f"wrote {path}")
    plot = args.plot or (str(Path(args.report).with_name("eval-hitk.png")) if args.report else None)
    if plot:
        plot_hitk(result, plot)
    if args.report:
        command = "python bench/quality.py " + " ".join(argv or sys.argv[1:])
        write_report(result, args.report, plot, gold_path=args.gold, command=command.strip())
        print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
