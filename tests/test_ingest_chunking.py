"""ingest/chunking.py (and the sections parser behind it) on the seed note and awkward
markdown: sections, breadcrumbs, line ranges, code, nested lists."""

from __future__ import annotations

from pathlib import Path

from ingest.chunking import chunk_note
from ingest.notes import parse_note
from tests.notes_helpers import write_note


def _text_by_section(path: Path, root: Path) -> dict[str, str]:
    """Each section of the note with its chunks' text, joined."""
    out: dict[str, str] = {}
    for doc in chunk_note(parse_note(path, root)):
        section = doc.metadata["section"]
        out[section] = out.get(section, "") + doc.page_content
    return out

PROJECT_DIR = Path(__file__).resolve().parents[1]
SEED_NOTE = PROJECT_DIR / "corpus" / "2025-02-11.md"

META_KEYS = {"chunk_id", "source", "kind", "title", "section", "date", "position"}


def test_seed_note_sections_links_date_and_lines() -> None:
    note = parse_note(SEED_NOTE, SEED_NOTE.parent)
    assert note.date == "2025-02-11"
    urls = [link.url for link in note.links]
    assert len(urls) == 17 and "https://kubernetes.io/ko/docs/concepts/overview/" in urls
    # Nested list items keep their links and line numbers.
    nested = next(link for link in note.links if link.url.endswith("/ingress/"))
    assert nested.text == "쿠버네티스 인그레스" and nested.line == 114
    docs = chunk_note(note)
    sections = {d.metadata["section"] for d in docs}
    assert "쿠버네티스 구성 요소 > 레플리카셋(ReplicaSet)" in sections
    assert not any("TIL Template" in s or "날짜" in s for s in sections)
    for doc in docs:
        assert doc.metadata.keys() >= META_KEYS
        assert doc.page_content.splitlines()[0] == (doc.metadata["section"] or note.title)
        lines = SEED_NOTE.read_text(encoding="utf-8").splitlines()
        span = "\n".join(lines[doc.metadata["start_line"] - 1 : doc.metadata["end_line"]])
        first_words = doc.page_content.splitlines()[1].lstrip("- ")[:8]
        assert first_words in span.replace("**", "")


def test_replicaset_item_keeps_its_subject() -> None:
    docs = chunk_note(parse_note(SEED_NOTE, SEED_NOTE.parent))
    rs = [d for d in docs if d.metadata["section"].endswith("레플리카셋(ReplicaSet)")]
    assert len(rs) == 1
    assert "지정된 수의 파드 레플리카가 항상 실행되도록 보장한다" in rs[0].page_content


def test_note_without_headings_code_blocks_and_nested_lists(tmp_path: Path) -> None:
    text = (
        "그냥 메모입니다. 제목이 없다.\n\n```bash\n# not a heading\necho hi\n```\n\n"
        "- 상위 항목\n    - 하위 항목 설명이다.\n        - 더 깊은 설명이다.\n"
    )
    note = parse_note(write_note(tmp_path, "plain.md", text), tmp_path)
    assert note.title == "plain"
    docs = chunk_note(note)
    joined = "\n".join(d.page_content for d in docs)
    assert "# not a heading" in joined  # a '#' in code is code, not a section
    assert not any("not a heading" in d.metadata["section"] for d in docs)
    item = next(d for d in docs if d.metadata["section"] == "상위 항목")
    assert "하위 항목 설명이다." in item.page_content and "더 깊은 설명이다." in item.page_content


def test_date_from_file_name_and_nfd_normalised(tmp_path: Path) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "# 제목\n\n## 파드\n파드는 가장 작은 단위이다.\n")
    note = parse_note(write_note(tmp_path, "2024-03-05-k8s.md", nfd), tmp_path)
    assert note.date == "2024-03-05"
    assert chunk_note(note)[0].page_content.startswith("파드\n")  # composed Hangul


NOTION_NOTE = """# 🧾TIL
## 주제 1: 아키텍처 패턴

> **모놀리식 아키텍처**
>

---

- 하나의 코드베이스에서 관리한다
- 모듈 간 의존성이 매우 높다

> 동시성 관리
>
- 여러 작업이 동시에 실행되도록 조정하는 기술이다

**장점**

배포가 단순하다.

**→ 그래서 작은 팀에 알맞은 선택이다.**

<aside>
💡

서비스가 어떻게 나뉘어지는가?

회사마다 다르다.
</aside>

## 주제 2: 다른 것
본문이다.
"""


def test_bold_lines_and_callouts_are_headings_asides_are_unwrapped(tmp_path: Path) -> None:
    note = parse_note(write_note(tmp_path, "2025-03-01.md", NOTION_NOTE), tmp_path)
    assert note.title == "🧾TIL"  # a pseudo-heading never becomes the title
    docs = chunk_note(note)
    by_section = {}
    for doc in docs:
        by_section.setdefault(doc.metadata["section"], []).append(doc.page_content)
    assert "주제 1: 아키텍처 패턴 > 모놀리식 아키텍처" in by_section
    assert "하나의 코드베이스" in by_section["주제 1: 아키텍처 패턴 > 모놀리식 아키텍처"][0]
    # The next callout replaces the previous one instead of nesting under it.
    assert "여러 작업이 동시에" in by_section["주제 1: 아키텍처 패턴 > 동시성 관리"][0]
    assert "배포가 단순하다" in by_section["주제 1: 아키텍처 패턴 > 장점"][0]
    # A bold *sentence* is text, not a heading; a real heading ends the pseudo-section.
    assert not any("그래서" in s for s in by_section)
    assert "주제 2: 다른 것" in by_section
    joined = "\n".join(d.page_content for d in docs)
    assert "<aside>" not in joined and "</aside>" not in joined
    assert "회사마다 다르다." in joined and "그래서 작은 팀에 알맞은 선택이다." in joined


def test_a_pseudo_heading_before_any_heading_is_not_the_title(tmp_path: Path) -> None:
    note = parse_note(write_note(tmp_path, "n.md", "**요약**\n\n짧은 메모이다.\n"), tmp_path)
    assert note.title == "n"
    assert chunk_note(note)[0].metadata["section"] == "요약"


def test_every_piece_of_a_long_table_keeps_its_header(tmp_path: Path) -> None:
    rows = "\n".join(f"| 항목{i} | 설명이 조금 긴 셀의 내용 {i}번째 행 |" for i in range(40))
    text = f"# 표\n## 비교\n\n| 이름 | 뜻 |\n| --- | --- |\n{rows}\n"
    docs = chunk_note(parse_note(write_note(tmp_path, "t.md", text), tmp_path))
    pieces = [d for d in docs if "| --- |" in d.page_content]
    assert len(pieces) >= 3
    for doc in pieces:
        body = doc.page_content.splitlines()[1:]
        assert body[:2] == ["| 이름 | 뜻 |", "| --- | --- |"]
    # A table is material, not code: the code prior must not halve it.
    assert not any(d.metadata["is_code"] for d in pieces)
    # Every row is in exactly one piece.
    found = [ln for d in pieces for ln in d.page_content.splitlines() if ln.startswith("| 항목")]
    assert len(found) == 40 == len(set(found))


def test_bare_urls_are_links_but_not_inside_code_or_without_a_scheme(tmp_path: Path) -> None:
    text = (
        "# 링크\n참고: https://example.com/guide?page=2 를 읽었다. socket.io 도 봤다.\n\n"
        "`https://in-code.example/x`\n\n```\ncurl https://fence.example/y\n```\n"
        "- 목록 https://example.org/list 끝\n\n그림: https://example.org/a.svg\n"
    )
    note = parse_note(write_note(tmp_path, "links.md", text), tmp_path)
    assert [(link.url, link.line) for link in note.links] == [
        ("https://example.com/guide?page=2", 2),
        ("https://example.org/list", 9),
    ]


def test_emoji_sequences_keep_their_joiner(tmp_path: Path) -> None:
    text = "# 메모\n오늘의 👩\u200d💻 개발 일지와 👨\u200d👩\u200d👧 가족 이야기.\n"
    docs = chunk_note(parse_note(write_note(tmp_path, "e.md", text), tmp_path))
    assert "👩\u200d💻" in docs[0].page_content and "👨\u200d👩\u200d👧" in docs[0].page_content


def test_a_huge_line_is_cut_by_characters_and_loses_no_text(tmp_path: Path) -> None:
    words = "파드는 컨테이너를 묶는 가장 작은 단위이다 서비스는 파드를 노출한다".split()
    line = " ".join(words[i % len(words)] for i in range(4_000))  # ~17k characters
    docs = chunk_note(parse_note(write_note(tmp_path, "big.md", f"# 큰 노트\n{line}\n"), tmp_path))
    bodies = [d.page_content.split("\n", 1)[1] for d in docs]
    assert max(len(b) for b in bodies) <= 450
    assert "".join(bodies).replace(" ", "") == line.replace(" ", "")


def test_an_oversized_note_is_refused_with_a_message(tmp_path: Path) -> None:
    import pytest

    from ingest.notes import NoteError

    path = write_note(tmp_path, "dump.md", "# 덤프\n" + "가" * 2_000)
    with pytest.raises(NoteError, match=r"dump\.md: too large .*split it into smaller notes"):
        parse_note(path, tmp_path, max_bytes=1_000)
    assert parse_note(path, tmp_path).title == "덤프"  # the default cap is far above a note


def test_a_bold_line_with_nothing_under_it_stays_text(tmp_path: Path) -> None:
    """Found by the fuzz test: "**0**" at the end of a note was a heading of nothing, and lost."""
    text = "# 노트\n## 주제\n본문이다.\n\n**꼭 기억할 것**\n\n## 다음 주제\n다음 본문.\n"
    docs = chunk_note(parse_note(write_note(tmp_path, "b.md", text), tmp_path))
    topic = next(d for d in docs if d.metadata["section"] == "주제")
    assert "꼭 기억할 것" in topic.page_content
    assert not any("꼭 기억할 것" in d.metadata["section"] for d in docs)


def test_ordered_numbers_and_code_spans_are_kept_as_written(tmp_path: Path) -> None:
    text = (
        "# 절차\n## 배포 순서\n1. 이미지를 빌드한다\n"
        "2. `kubectl apply -f [a](b).yaml` 을 실행한다\n"
        "3. 확인 단계\n    - 파드 상태를 본다\n\n함수는 `**kwargs` 와 `*args` 를 받는다.\n"
    )
    docs = chunk_note(parse_note(write_note(tmp_path, "o.md", text), tmp_path))
    joined = "\n".join(d.page_content for d in docs)
    assert "1. 이미지를 빌드한다" in joined and "- 1." not in joined
    assert "kubectl apply -f [a](b).yaml" in joined
    assert "**kwargs" in joined and "*args" in joined
    # A numbered label is a sub-heading without its number.
    assert any(d.metadata["section"].endswith("배포 순서 > 확인 단계") for d in docs)


def _fenced_blocks_close(text: str) -> bool:
    fences = [line for line in text.splitlines() if line.lstrip().startswith("```")]
    return len(fences) % 2 == 0


def test_code_in_a_list_item_stays_one_fenced_block(tmp_path: Path) -> None:
    """Seen on the real journal: a code block nested in a list item became one "- " bullet per
    line, its indentation and fences broken, and the chat showed empty code boxes."""
    text = (
        "# 훅\n\n## 파이버\n\n- memoizedState는 아래와 같다.\n  ```jsx\n  fiber.memoizedState = {\n"
        "    memoizedState: 0,  // 첫 번째 값\n\n    next: null\n  }\n  ```\n"
        "- 훅 목록의 시작점이다.\n"
    )
    docs = chunk_note(parse_note(write_note(tmp_path, "2025-07-27.md", text), tmp_path))
    joined = "\n".join(d.page_content for d in docs)
    assert "```jsx\nfiber.memoizedState = {\n  memoizedState: 0,  // 첫 번째 값\n" in joined
    assert "\n\n  next: null\n}\n```" in joined  # blank line and indentation kept
    assert "- ```" not in joined and "- fiber" not in joined
    assert "- memoizedState는 아래와 같다." in joined and "- 훅 목록의 시작점이다." in joined


def test_every_piece_of_a_long_code_block_is_fenced(tmp_path: Path) -> None:
    code = "\n".join(f"  this.field{i} = null; // 필드 {i} 설명" for i in range(60))
    text = (
        f"# 노트\n\n## 파이버\n\n```js\nfunction FiberNode() {{\n{code}\n}}\n```\n\n"
        "설명 문장이다.\n"
    )
    docs = chunk_note(parse_note(write_note(tmp_path, "n.md", text), tmp_path))
    pieces = [d for d in docs if "this.field" in d.page_content]
    assert len(pieces) >= 3
    for doc in pieces:
        assert _fenced_blocks_close(doc.page_content), doc.page_content
        assert "```js\n" in doc.page_content
    joined = "\n".join(d.page_content for d in docs)
    assert all(f"this.field{i} = null;" in joined for i in range(60))  # nothing lost


OBSIDIAN_NOTE = """# 훅

#react #frontend

## 배운 것

> [!note] useEffect
> 렌더링 후에 실행되는 부수 효과 훅이다.

- [[useState]]는 상태를 만든다. 자세한 건 [[React Hooks|훅 문서]] 참고. ![[diagram.png]]
- ==의존성 배열==이 비면 처음 한 번만 실행된다.
- `a == b`와 `[[x]]`는 코드, pages/[[...id]].tsx는 파일 이름이다.

> [!tip]
> 제목 없는 콜아웃은 인용이다.
"""


def test_obsidian_markdown_is_read_as_the_student_sees_it(tmp_path: Path) -> None:
    by_section = _text_by_section(write_note(tmp_path, "2025-04-01.md", OBSIDIAN_NOTE), tmp_path)
    # A titled callout heads its own lines, and only those.
    assert "부수 효과" in by_section["배운 것 > useEffect"]
    assert "상태를 만든다" not in by_section["배운 것 > useEffect"]
    body = by_section["배운 것"]
    assert "useState는 상태를 만든다. 자세한 건 훅 문서 참고." in body
    assert "의존성 배열이 비면" in body and "diagram" not in body and "[!" not in body
    assert "a == b와 [[x]]는 코드" in body and "pages/[[...id]].tsx" in body
    assert "제목 없는 콜아웃은 인용이다." in body
    # A line of tags is metadata.
    assert not any("#react" in text for text in by_section.values())


HTML_NOTE = """# 배운 것

<!-- 템플릿: 오늘 날짜를 채운다 -->

<details>
<summary>클로저(Closure)</summary>

함수가 선언될 때의 렉시컬 환경을 기억하는 함수다.

</details>

토글 밖의 문장은 부모 섹션에 남는다.

| 훅 | 용도 |
|---|---|
| useState | 상태를<br>관리한다 |

<p align="center"><img src="hooks.png" width="300"></p>

<b>호이스팅</b>은 선언이 끌어올려지는 것처럼 동작한다. `<b>`는 코드다.

<h1>제목</h1> 같은 JSX는 그대로, Map<String, Object>도 그대로 둔다.
"""


def test_html_in_markdown_leaves_its_words(tmp_path: Path) -> None:
    by_section = _text_by_section(write_note(tmp_path, "2025-04-02.md", HTML_NOTE), tmp_path)
    # A toggle's title heads what it folds, and only that (the H1 is the note's title).
    assert "렉시컬 환경" in by_section["클로저(Closure)"]
    assert "토글 밖의 문장" not in by_section["클로저(Closure)"]
    body = by_section[""]
    assert "토글 밖의 문장은 부모 섹션에 남는다." in body
    assert "| useState | 상태를 관리한다 |" in body
    # Tags in a code span are code.
    assert "호이스팅은 선언이" in body and "<b>는 코드다" in body
    assert "<h1>제목</h1>" in body and "Map<String, Object>" in body
    text = "".join(by_section.values())
    assert "<!--" not in text and "템플릿" not in text and "<img" not in text
    assert "<p align" not in text and "<br>" not in text and "<summary>" not in text


def test_a_toggle_written_in_one_html_block_keeps_its_content(tmp_path: Path) -> None:
    """Without blank lines the whole toggle is one HTML block: its content stays, under its
    title, and what follows the toggle is the parent's again."""
    text = (
        "# 배운 것\n\n## 자바스크립트\n\n"
        "<details>\n<summary>클로저(Closure)</summary>\n"
        "함수가 선언될 때의 렉시컬 환경을 기억한다.\n</details>\n\n"
        "<details><summary>호이스팅</summary>선언이 끌어올려지는 것처럼 동작한다.</details>\n\n"
        "토글 밖의 문장이다.\n"
    )
    by_section = _text_by_section(write_note(tmp_path, "2025-04-03.md", text), tmp_path)
    assert "렉시컬 환경을 기억한다." in by_section["자바스크립트 > 클로저(Closure)"]
    assert "끌어올려지는 것처럼" in by_section["자바스크립트 > 호이스팅"]
    assert "토글 밖의 문장이다." in by_section["자바스크립트"]
    assert not any("<" in t for t in by_section.values())
