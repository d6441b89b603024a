"""Quality on real journals: the seed note (+ its six pages), the 77-note real journal, and
both in one index; dev and test splits side by side, hybrid against the LangChain tutorial
baseline, per corpus and per question kind. Prints tables, writes bench/results/journal.json.

    python bench/journal.py --work /tmp/journal-bench        # indexes are kept and reused
    python bench/journal.py --work /tmp/journal-bench --split dev

Splits: seed dev = tests/data/dev.jsonl, seed test = tests/data/gold.jsonl (twins of dev
questions removed); journal dev = tests/data/realtil-dev.jsonl (February notes), journal test =
tests/data/realtil-test.jsonl (March onwards). The journal is read from ../shared, never copied
into the repository (the "both" index copies it into the work folder). The "both" runs leave out
the seed refusals that the journal answers (``ANSWERED_BY_THE_JOURNAL``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    SHARED_DIR,
    copy_seed_note,
    fixture_site,
    note_settings,
    write_result,
)
from rag.config import PROJECT_ROOT, Settings  # noqa: E402
from rag.eval.gold import GoldItem, load_gold  # noqa: E402
from rag.eval.runners import evaluate  # noqa: E402

JOURNAL = SHARED_DIR / "corpora" / "realtil" / "notes"
DATA = PROJECT_ROOT / "tests" / "data"
GOLD = {
    ("seed", "dev"): DATA / "dev.jsonl",
    ("seed", "test"): DATA / "gold.jsonl",
    ("journal", "dev"): DATA / "realtil-dev.jsonl",
    ("journal", "test"): DATA / "realtil-test.jsonl",
}
JOURNAL_PREFIX = "journal"
CORPORA = {"seed": ("seed",), "journal": ("journal",), "both": ("seed", "journal")}
COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("kw recall", "keyword_recall"),
    ("cite", "citation_accuracy"),
    ("refused", "refusal_recall"),
    ("false ref.", "false_refusal_rate"),
    ("p50 ms", "latency_ms_p50"),
)


def _index(work: Path, corpus: str) -> Settings:
    """Build (or reuse) the index of one corpus under ``work/corpus``."""
    from ingest.sync import sync_index

    root = work / corpus
    notes = root / "corpus"
    if not notes.exists():
        notes.mkdir(parents=True)
        if "seed" in CORPORA[corpus]:
            copy_seed_note(notes)
        if "journal" in CORPORA[corpus]:
            # Both corpora have a 2025-02-11.md: together, the journal lives in a sub-folder.
            target = notes / JOURNAL_PREFIX if corpus == "both" else notes
            target.mkdir(exist_ok=True)
            for path in sorted(JOURNAL.glob("*.md")):
                shutil.copy(path, target / path.name)
    with fixture_site() as site:
        settings = note_settings(root, site if "seed" in CORPORA[corpus] else None)
        sync_index(settings)
    return settings


def _mean_chars(rows: list[Any], name: str) -> float | None:
    lengths = [len(r.answer) for r in rows if r.retriever == name and not r.refused]
    return round(statistics.fmean(lengths), 0) if lengths else None


# Seed refusals that the journal answers: in one index of both corpora they are not out of
# scope (checked by reading the journal's notes), so the "both" runs leave them out.
ANSWERED_BY_THE_JOURNAL = {
    "d36": "useEffect: 2025-04-02, 04-03, 04-13",
    "d39": "TCP 3-way handshake: 2025-02-14, 03-26, 03-27",
    "d99": "processes and threads: 2025-02-04 to 02-06",
    "d100": "LRU page replacement: 2025-06-29",
    "n09": "processes and threads: 2025-02-04 to 02-06",
    "n14": "LRU page replacement: 2025-06-29",
}


def _gold(parts: tuple[str, ...], split: str) -> list[GoldItem]:
    items = []
    for part in parts:
        for item in load_gold(GOLD[(part, split)]):
            if len(parts) > 1 and item.id in ANSWERED_BY_THE_JOURNAL:
                continue
            if part == "journal" and len(parts) > 1 and item.source:
                item = replace(item, source=f"{JOURNAL_PREFIX}/{item.source}")
            items.append(item)
    return items


def _run(settings: Settings, parts: tuple[str, ...], split: str) -> dict[str, Any]:
    result = evaluate(_gold(parts, split), settings, ["hybrid", "baseline"], judge=False)
    return {
        name: {**metrics, "mean_answer_chars": _mean_chars(result.rows, name)}
        for name, metrics in result.configs.items()
    }


def _table(title: str, results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("config / kind")
    table.add_column("n", justify="right")
    for label, _ in COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("chars", justify="right")

    def fmt(v: Any) -> str:
        return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) and v <= 1 else str(v))

    for name, m in results.items():
        table.add_row(
            name, str(m["n"]), *(fmt(m.get(k)) for _, k in COLUMNS), fmt(m["mean_answer_chars"])
        )
        if name == "hybrid":
            for kind, km in m["by_kind"].items():
                table.add_row(f"  {kind}", str(km["n"]), *(fmt(km.get(k)) for _, k in COLUMNS), "")
    Console(width=150).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for the indexes (kept, reused)")
    parser.add_argument("--split", choices=("dev", "test", "both"), default="both")
    parser.add_argument("--corpus", choices=(*CORPORA, "all"), default="all")
    args = parser.parse_args(argv)
    work = Path(args.work)
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    corpora = tuple(CORPORA) if args.corpus == "all" else (args.corpus,)
    payload: dict[str, Any] = {}
    for corpus in corpora:
        settings = _index(work, corpus)
        for split in splits:
            results = _run(settings, CORPORA[corpus], split)
            payload[f"{corpus}/{split}"] = results
            _table(f"{corpus} / {split}", results)
    name = "journal" if args.split == "both" and args.corpus == "all" else "journal-partial"
    print(f"wrote {write_result(name, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
