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
    assert len(gold) >= 90
    assert kinds["factual"] >= 25 and kinds["comparison"] >= 8
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
