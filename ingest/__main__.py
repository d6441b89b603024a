"""``python -m ingest``: build or update the index from the notes and their linked pages."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.table import Table

from ingest.sync import IndexBusyError, sync_index
from rag.cli_io import Parser, UsageError, fail, wants_json
from rag.config import load_settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = Parser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--corpus", help="notes folder (TIL_CORPUS_DIR)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="use cached pages only, never the network",
    )
    parser.add_argument("--rebuild", action="store_true", help="drop the index and build anew")
    parser.add_argument(
        "--lexical-only",
        action="store_true",
        help="commit chunks for keyword search now and leave their vectors for a later run",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return fail(wants_json(argv), exc.message, 2)
    try:
        settings = load_settings(corpus_dir=args.corpus, index_dir=args.index, offline=args.offline)
    except ValueError as exc:
        return fail(args.json, str(exc), 2)
    if not settings.corpus_dir.is_dir():
        return fail(args.json, f"corpus folder not found: {settings.corpus_dir}", 2)
    try:
        report = sync_index(
            settings, rebuild=args.rebuild, progress=not args.json, embed=not args.lexical_only
        )
    except IndexBusyError as exc:
        return fail(args.json, str(exc), 3)
    except KeyboardInterrupt:
        message = "interrupted: the previous index is intact; run again to finish."
        return fail(args.json, message, 130)
    data = report.to_dict()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    console = Console()
    table = Table(title="ingest")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("notes", str(report.notes))
    table.add_row("notes failed", str(len(report.notes_failed)))
    table.add_row("outside the corpus", str(len(report.notes_skipped)))
    table.add_row("pages fetched", str(report.fetched))
    table.add_row("pages from cache", str(report.cached))
    table.add_row("pages failed", str(len(report.failed)))
    for key in ("added", "deleted", "unchanged", "total"):
        table.add_row(f"chunks {key}", str(getattr(report, key)))
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
    if report.rebuilt and report.rebuild_reason:
        console.print(f"[yellow]rebuilt:[/] {report.rebuild_reason}")
    for row in report.notes_failed:
        console.print(f"[red]note skipped[/] {row['source']}: {row['reason']}")
    for row in report.notes_skipped:
        console.print(f"[red]not a note[/] {row['source']}: {row['reason']}")
    for row in report.failed:
        console.print(f"[yellow]page not fetched[/] {row['url']}: {row['reason']}")
    for row in report.date_conflicts:
        console.print(
            f"[yellow]date[/] {row['source']}: the date line says {row['date_line']}; "
            f"using {row['date']} from the file name"
        )
    if report.undated:
        shown = ", ".join(report.undated[:5]) + (" …" if len(report.undated) > 5 else "")
        console.print(
            f"[yellow]no date[/] {len(report.undated)} note(s) name no day ({shown}): date "
            "questions skip them; name the file YYYY-MM-DD.md or add a '날짜: YYYY-MM-DD' line"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
