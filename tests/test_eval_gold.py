"""Tests of rag.eval.gold: line validation, the file loader, and the shipped gold set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT
from rag.eval.gold import GoldFormatError, load_gold, parse_gold_line

GOLD = PROJECT_ROOT / "tests" / "data" / "gold.jsonl"
NOTE_SOURCE = "2025-02-11.md"
REFERENCE_URLS = {
    "https://kubernetes.io/ko/docs/concepts/overview/",
    "https://kubernetes.io/ko/docs/concepts/overview/components/",
    "https://kubernetes.io/ko/docs/concepts/workloads/controllers/replicaset/",
    "https://kubernetes.io/ko/docs/concepts/workloads/controllers/deployment/",
    "https://kubernetes.io/ko/docs/concepts/services-networking/service/",
    "https://kubernetes.io/ko/docs/concepts/services-networking/ingress/",
}
# The labels tests/data/gold.jsonl was written with; the format itself allows any label.
AGREED_KINDS = ("factual", "comparison", "crosslingual", "reference", "refusal")


def test_gold_line_validation() -> None:
    ok = parse_gold_line(
        '{"id": "a", "question": "q", "keywords": ["x|y"], "source": "n.md", "section": "", '
        '"kind": "factual"}'
    )
    assert ok.keywords == ("x|y",) and not ok.is_refusal
    bad = [
        '{"id": "a", "question": "q", "keywords": ["x"], "source": "", "kind": "refusal"}',
        '{"id": "a", "question": "q", "keywords": ["x"], "source": "", "kind": "factual"}',
        '{"id": "a", "keywords": [], "kind": "refusal"}',
        '{"id": "a", "question": "q", "keywords": "x", "source": "n.md", "kind": "factual"}',
        "not json",
    ]
    for line in bad:
        with pytest.raises(GoldFormatError):
            parse_gold_line(line)


def test_kind_is_a_free_label_and_only_refusal_means_something() -> None:
    trivia = parse_gold_line(
        '{"id": "a", "question": "q", "keywords": [], "source": "n.md", "kind": "trivia"}'
    )
    assert trivia.kind == "trivia" and not trivia.is_refusal
    dated = parse_gold_line(
        '{"id": "b", "question": "q", "keywords": ["x"], "source": "n.md", "kind": "date"}'
    )
    assert dated.kind == "date" and dated.keywords == ("x",)
    # Any label other than refusal is an answerable question, so it needs a source.
    with pytest.raises(GoldFormatError, match="'date' item needs a source"):
        parse_gold_line('{"id": "c", "question": "q", "keywords": ["x"], "kind": "date"}')


def test_duplicate_gold_ids_are_rejected(tmp_path: Path) -> None:
    line = '{"id": "a", "question": "q", "keywords": [], "kind": "refusal"}\n'
    path = tmp_path / "g.jsonl"
    path.write_text(line * 2, encoding="utf-8")
    with pytest.raises(GoldFormatError, match="duplicate"):
        load_gold(path)


def test_comment_and_blank_lines_are_skipped_but_an_empty_file_is_an_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text(
        '// written for the seed note\n\n{"id": "a", "question": "q", "kind": "refusal"}\n',
        encoding="utf-8",
    )
    assert [g.id for g in load_gold(path)] == ["a"]
    path.write_text("// nothing yet\n", encoding="utf-8")
    with pytest.raises(GoldFormatError, match="no questions"):
        load_gold(path)


def test_gold_set_has_the_agreed_mix() -> None:
    gold = load_gold(GOLD)
    kinds = Counter(g.kind for g in gold)
    # 105 questions until the dev twins were removed (see test_no_test_question_twins_dev).
    assert len(gold) >= 80
    assert kinds["factual"] >= 20 and kinds["comparison"] >= 5
    assert kinds["crosslingual"] >= 10 and kinds["reference"] >= 18
    assert kinds["refusal"] >= 16
    assert set(kinds) <= set(AGREED_KINDS)
    for g in gold:
        if g.is_refusal:
            assert not g.keywords and not g.source, g.id
        else:
            assert g.keywords, g.id
            assert g.source == NOTE_SOURCE or g.source in REFERENCE_URLS, g.id
    crosslingual = [g for g in gold if g.kind == "crosslingual"]
    assert all(g.question.isascii() for g in crosslingual)


def _twins(test_path: Path, dev_path: Path) -> list[str]:
    """Test questions that repeat a dev question about the same source: nearly the same
    words, or the same target section asked in half the same words."""
    import difflib

    from rag.text import compact

    def words(text: str) -> set[str]:
        # Character bigrams of the compacted question: unlike Kiwi terms, they do not depend
        # on the user words other tests taught Kiwi in the same process.
        key = compact(text)
        return {key[i : i + 2] for i in range(len(key) - 1)}

    dev = [(g, words(g.question)) for g in load_gold(dev_path)]
    out = []
    for g in load_gold(test_path):
        terms = words(g.question)
        for d, dterms in dev:
            if g.source and d.source and g.source != d.source:
                continue  # "what did I study on <day>" about two different days
            overlap = len(terms & dterms) / max(1, len(terms | dterms))
            ratio = difflib.SequenceMatcher(None, compact(g.question), compact(d.question)).ratio()
            same = (g.source, g.section) == (d.source, d.section) and not g.is_refusal
            if max(overlap, ratio) >= 0.8 or (same and max(overlap, ratio) >= 0.5):
                out.append(f"{g.id} ~ {d.id}")
    return out


@pytest.mark.parametrize(
    ("test_file", "dev_file"),
    [("gold.jsonl", "dev.jsonl"), ("realtil-test.jsonl", "realtil-dev.jsonl")],
)
def test_no_test_question_twins_dev(test_file: str, dev_file: str) -> None:
    data = GOLD.parent
    assert _twins(data / test_file, data / dev_file) == []


def test_journal_splits_are_by_note() -> None:
    """Dev questions come from February notes, test questions from March onwards."""
    data = GOLD.parent
    dev = {g.source for g in load_gold(data / "realtil-dev.jsonl") if g.source}
    test = {g.source for g in load_gold(data / "realtil-test.jsonl") if g.source}
    assert dev and all(s.startswith("2025-02-") for s in dev)
    assert test and all(s >= "2025-03-" for s in test)
