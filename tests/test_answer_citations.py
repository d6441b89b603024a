"""rag/answer/citations.py: one numbering, after de-duplication."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rag.answer.citations import MARKER, Citation, renumber


def _cit(n: int) -> Citation:
    return Citation(n, f"s{n}", "note", "t", "sec", "", "snip")


@given(
    st.lists(st.integers(min_value=0, max_value=9), max_size=12),
    st.integers(min_value=0, max_value=6),
)
def test_renumber_invariants(markers: list[int], n_sources: int) -> None:
    text = " ".join(f"문장{i} [{m}]." for i, m in enumerate(markers))
    fixed, cited = renumber(text, [_cit(n) for n in range(1, n_sources + 1)])
    used = [int(m) for m in MARKER.findall(fixed)]
    assert sorted(set(used)) == [c.n for c in cited] == list(range(1, len(cited) + 1))
    # Order of first appearance defines the numbering.
    firsts = list(dict.fromkeys(used))
    assert firsts == sorted(firsts)


def test_a_long_snippet_is_cut_at_a_break_and_marked() -> None:
    from langchain_core.documents import Document

    from rag.answer.citations import citation_for

    doc = Document(page_content="x", metadata={"source": "a.md", "section": "s"})
    text = "뮤텍스는 락을 건다.\n" * 24 + "- critical section?"
    snippet = citation_for(doc, 1, snippet=text, limit=300).snippet
    assert snippet.endswith("…") and len(snippet) <= 301
    assert snippet[:-1].endswith("- critical")  # a whole word, not "- c"
    # Short text is shown whole; a long run without breaks is cut where the limit falls.
    assert citation_for(doc, 1, snippet="짧다.", limit=300).snippet == "짧다."
    assert citation_for(doc, 1, snippet="가" * 400, limit=300).snippet == "가" * 300 + "…"
