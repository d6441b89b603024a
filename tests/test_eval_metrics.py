"""Tests of rag.eval.metrics: matching rules and the metric set on hand-made rows."""

from __future__ import annotations

import pytest

from rag.eval.gold import GoldItem
from rag.eval.metrics import (
    METRIC_KEYS,
    Retrieved,
    Row,
    compute_metrics,
    hit_rank,
    keywords_found,
    make_row,
    metrics_by_kind,
    percentile,
    section_matches,
)
from rag.text import match_form

NOTE_SOURCE = "2025-02-11.md"


def item(
    kind: str = "factual",
    keywords: tuple[str, ...] = ("하이퍼바이저",),
    source: str = NOTE_SOURCE,
    section: str = "하이퍼바이저",
    id_: str = "q",
) -> GoldItem:
    if kind == "refusal":
        keywords, source, section = (), "", ""
    return GoldItem(id_, "question?", keywords, source, section, kind)


def chunk(source: str = NOTE_SOURCE, section: str = "하이퍼바이저(Hypervisor)") -> Retrieved:
    return Retrieved(source, section)


OTHER = chunk(section="도커(Docker)")


def hand_made_rows() -> list[Row]:
    """Six rows with known metrics (also the report tests' input)."""
    a, b, c, d = (item(id_=x) for x in "abcd")
    r1, r2 = item("refusal", id_="r1"), item("refusal", id_="r2")
    return [
        # hit at 1, all keywords, correct citation
        make_row(a, "x", "하이퍼바이저 설명 [1]", False, [chunk(), OTHER], [chunk()], 10.0),
        # hit at 3, keyword missing, wrong citation
        make_row(b, "x", "도커 이야기", False, [OTHER, OTHER, chunk()], [OTHER], 20.0),
        # no hit in 5, keyword present, no citations
        make_row(c, "x", "하이퍼바이저", False, [OTHER] * 5, [], 30.0),
        # wrongly refused, hit at 2
        make_row(d, "x", "노트에 없는 내용입니다.", True, [OTHER, chunk()], [], 40.0),
        # rightly refused
        make_row(r1, "x", "노트에 없는 내용입니다.", True, [OTHER], [], 50.0),
        # answered although out of scope
        make_row(r2, "x", "도커", False, [OTHER], [OTHER], 60.0),
    ]


# --------------------------------------------------------------------------- matching


def test_match_form_drops_case_space_markdown_and_markers() -> None:
    assert match_form("**Type 1** 하이퍼바이저 [2]") == "type1하이퍼바이저"
    assert match_form("Rolling\n  Update") == "rollingupdate"


def test_keywords_need_every_item_but_any_alternative() -> None:
    answer = "Type 1 은 하드웨어 위에서, type2는 운영 체제 위에서 돈다."
    assert keywords_found(answer, ["type 1", "Type2", "운영체제"]) == [True, True, True]
    assert keywords_found(answer, ["hardware|하드웨어", "게스트 OS|guest"]) == [True, False]
    assert keywords_found(answer, ["|하드웨어"]) == [True]  # an empty alternative matches nothing
    assert keywords_found("", ["x"]) == [False]
    assert keywords_found("**Rolling** Update [3]", ["rolling update"]) == [True]


def test_section_match_is_containment_and_empty_matches_all() -> None:
    section = "하이퍼바이저(Hypervisor) > Type 1 하이퍼바이저 (Bare-metal Hypervisor)"
    assert section_matches("Type 1 하이퍼바이저", section)
    assert section_matches("type1", section)
    assert section_matches("", section)
    assert not section_matches("Type 2", section)


def test_hit_rank_needs_source_and_section() -> None:
    gold = item()
    assert hit_rank(gold, [OTHER, chunk()]) == 2
    assert hit_rank(gold, [chunk(source="https://kubernetes.io/x"), OTHER]) is None
    assert hit_rank(item(section=""), [OTHER]) == 1  # empty section: the source is enough
    assert hit_rank(gold, []) is None


def test_baseline_chunks_match_sections_by_their_text() -> None:
    gold = item(section="Type 1 하이퍼바이저")
    inside = Retrieved(NOTE_SOURCE, "TIL Template", match_text="- Type 1 하이퍼바이저 (Bare...)")
    assert hit_rank(gold, [inside]) == 1
    elsewhere = Retrieved("other.md", "", match_text="- Type 1 하이퍼바이저")
    assert hit_rank(gold, [elsewhere]) is None


# --------------------------------------------------------------------------- rows + metrics


def test_refused_answer_finds_no_keywords_and_cites_nothing() -> None:
    row = make_row(
        item(),
        "hybrid",
        "노트에 없는 내용입니다. 가까운 주제: 하이퍼바이저",
        True,
        [chunk()],
        [chunk()],
        10.0,
    )
    assert row.keywords_found == [] and row.keywords_missing == ["하이퍼바이저"]
    assert row.citation_correct is None
    assert row.hit_rank == 1  # retrieval is still judged on what was retrieved


def test_refusal_items_have_no_hit_rank_or_citation_score() -> None:
    row = make_row(item("refusal"), "hybrid", "answer", False, [chunk()], [chunk()], 1.0)
    assert row.hit_rank is None and row.citation_correct is None


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 21)], 95) == pytest.approx(19.05)


def test_compute_metrics_on_hand_made_rows() -> None:
    m = compute_metrics(hand_made_rows())
    assert set(METRIC_KEYS) <= set(m)
    assert m["n"] == 6
    assert m["hit@1"] == 0.25
    assert m["hit@3"] == 0.75
    assert m["hit@5"] == 0.75
    assert m["mrr"] == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4, abs=1e-4)
    assert m["keyword_recall"] == 0.5  # a and c; d was refused
    assert m["keyword_item_recall"] == 0.5
    assert m["citation_accuracy"] == 0.5  # a right, b wrong; c uncited, d refused
    assert m["refusal_precision"] == 0.5  # refused d and r1, only r1 should be
    assert m["refusal_recall"] == 0.5
    assert m["false_refusal_rate"] == 0.25
    assert m["latency_ms_p50"] == 35.0
    assert m["latency_ms_p95"] == 57.5
    assert m["faithfulness"] is None


def test_metrics_are_null_when_undefined() -> None:
    rows = [make_row(item("refusal"), "x", "answer", False, [], [], 5.0)]
    m = compute_metrics(rows)
    assert m["hit@1"] is None and m["keyword_recall"] is None and m["mrr"] is None
    assert m["refusal_precision"] is None  # nothing was refused
    assert m["refusal_recall"] == 0.0
    assert m["false_refusal_rate"] is None


def test_metrics_by_kind_split_rows() -> None:
    by_kind = metrics_by_kind(hand_made_rows())
    assert set(by_kind) == {"factual", "refusal"}
    assert by_kind["factual"]["n"] == 4 and by_kind["factual"]["hit@1"] == 0.25
    assert by_kind["refusal"]["refusal_recall"] == 0.5
    assert by_kind["refusal"]["hit@1"] is None


def test_metrics_by_kind_lists_any_label_in_gold_order() -> None:
    rows = [
        make_row(item("date", id_="d1"), "x", "하이퍼바이저", False, [chunk()], [], 1.0),
        make_row(item("refusal", id_="r"), "x", "없음", True, [], [], 1.0),
        make_row(item("date", id_="d2"), "x", "도커", False, [OTHER], [], 1.0),
        make_row(item("how-to", id_="h"), "x", "하이퍼바이저", False, [OTHER, chunk()], [], 1.0),
    ]
    by_kind = metrics_by_kind(rows)
    assert list(by_kind) == ["date", "refusal", "how-to"]
    assert by_kind["date"]["n"] == 2 and by_kind["date"]["hit@1"] == 0.5
    assert by_kind["how-to"]["mrr"] == 0.5 and by_kind["how-to"]["refusal_recall"] is None
    assert by_kind["refusal"]["refusal_recall"] == 1.0
