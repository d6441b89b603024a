"""ingest/web/extract.py: trafilatura's markdown and the two repairs (definition lists,
callout titles), titles, empty pages."""

from __future__ import annotations

import re

import pytest

from ingest.web import extract_page, normalize_markdown
from tests.markdown_checks import markdown_headings


def test_definition_lists_become_term_dash_definition() -> None:
    html = """<html><head><title>DL | Site</title></head><body><article><h1>구성 요소</h1>
    <p>쿠버네티스 클러스터는 여러 컴포넌트로 구성되며 각 컴포넌트는 고유한 역할을 가진다.</p>
    <dl><dt>kube-apiserver</dt><dd>쿠버네티스 HTTP API를 노출하는 핵심 서버 컴포넌트이다.</dd>
    <dt>etcd</dt><dd>모든 API 서버 데이터를 위한 키-값 저장소이다.</dd></dl>
    <p>마지막 문단은 정의 목록 뒤에 오는 설명으로 본문의 일부이다.</p></article></body></html>"""
    title, text = extract_page(html, "https://example.com/dl")
    assert title == "구성 요소"  # the page's single h1 beats a generic <title>
    assert "kube-apiserver — 쿠버네티스 HTTP API를 노출하는 핵심 서버 컴포넌트이다." in text
    assert "etcd — 모든 API 서버 데이터를 위한 키-값 저장소이다." in text
    assert not re.search(r"^- kube-apiserver$", text, flags=re.M)
    assert "마지막 문단은" in text


def test_callout_titles_fold_into_their_section() -> None:
    html = """<html><body><article><h1>페이지</h1><h2>레플리카셋 작업</h2>
    <p>레플리카셋을 삭제하면 기본적으로 연관된 파드도 함께 삭제된다는 점을 기억해야 한다.</p>
    <div class="alert alert-note"><h4 class="alert-heading">참고:</h4>
    <p>가비지 수집기가 종속 파드를 자동으로 삭제한다.</p></div>
    <div class="alert"><h4>Note:</h4><p>This applies to every controller in the cluster.</p></div>
    <p>같은 섹션의 마지막 문단이며 콜아웃 뒤에도 섹션은 계속된다.</p>
    <h4>경고</h4><p>콜론이 없는 진짜 제목은 제목으로 남아야 한다는 것을 확인하는 문단이다.</p>
    <pre><code># 주석은 제목이 아니다
kubectl get rs</code></pre>
    </article></body></html>"""
    _, text = extract_page(html, "https://example.com/callout")
    headings = markdown_headings(text)
    assert (2, "레플리카셋 작업") in headings
    assert not any(h.endswith(":") for _, h in headings), headings
    assert "참고: 가비지 수집기가 종속 파드를 자동으로 삭제한다." in text
    assert "Note: This applies to every controller" in text
    assert (4, "경고") in headings
    # the fence survives, and its comment line is not a heading
    assert "```\n# 주석은 제목이 아니다\nkubectl get rs\n```" in text
    assert (1, "주석은 제목이 아니다") not in headings


def test_markdown_repairs_behind_extraction() -> None:
    # What trafilatura emits for callouts and for <pre> inside list items, repaired afterwards.
    raw = "\n".join(
        [
            "## 섹션",
            "",
            "#### 참고:",
            "",
            "본문   문장이다.",
            "",
            "#### 경고: 제목에   붙어 버린 콜아웃 본문.",
            "",
            "1. 다음을 실행한다. ```",
            "# 주석  그대로",
            "```",
            "  - 중첩   항목",
            "## 다음",
        ]
    )
    text = normalize_markdown(raw)
    assert text.splitlines() == [
        "## 섹션",
        "",
        "참고: 본문 문장이다.",
        "",
        "경고: 제목에 붙어 버린 콜아웃 본문.",
        "",
        "1. 다음을 실행한다.",
        "```",
        "# 주석  그대로",
        "```",
        "  - 중첩 항목",
        "## 다음",
    ]


def test_code_inside_list_items_keeps_fences_balanced() -> None:
    html = """<html><body><article><h1>목록과 코드</h1>
    <p>다음 단계를 차례대로 따라 하면 디플로이먼트를 이전 버전으로 되돌릴 수 있다.</p>
    <ol><li><p>롤백을 실행한다.</p><pre><code>kubectl rollout undo deploy/web
</code></pre><p>이와 유사하게 출력된다.</p><pre><code>NAME    READY   AGE
web     3/3     1m
</code></pre></li><li><p>상태를 확인한다.</p></li></ol>
    <h2>다음 섹션</h2><p>코드 블록 뒤의 제목은 코드가 아니라 제목으로 읽혀야 한다.</p>
    </article></body></html>"""
    _, text = extract_page(html, "https://example.com/list-code")
    assert (2, "다음 섹션") in markdown_headings(text)
    fences = [line for line in text.splitlines() if line.strip().startswith("```")]
    assert len(fences) % 2 == 0 and len(fences) >= 4
    assert "NAME    READY   AGE" in text  # code keeps its spacing


@pytest.mark.parametrize(
    ("og_title", "h1", "expected"),
    [
        ("오픈그래프 제목", "본문 제목", "오픈그래프 제목"),
        ("", "본문 제목", "본문 제목"),
        ("", "", "레플리카셋"),  # <title> minus its " | Kubernetes" suffix
    ],
)
def test_title_sources(og_title: str, h1: str, expected: str) -> None:
    og = f'<meta property="og:title" content="{og_title}">' if og_title else ""
    heading = f"<h1>{h1}</h1>" if h1 else "<h2>소제목</h2>"
    html = (
        f"<html><head>{og}<title>레플리카셋 | Kubernetes</title></head><body><article>{heading}"
        "<p>본문은 충분히 길어야 추출된다. 레플리카셋은 파드 개수를 유지하고 디플로이먼트는"
        " 레플리카셋을 관리한다.</p></article></body></html>"
    )
    assert extract_page(html, "https://example.com/t")[0] == expected


def test_extract_page_handles_empty_and_xhtml_declaration() -> None:
    assert extract_page("", "https://example.com/") == ("", "")
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>XHTML 문서</title></head><body><article><h1>XHTML 문서</h1>"
        "<p>인코딩 선언이 있는 XHTML 문서도 본문을 추출할 수 있어야 한다. 충분히 긴 문장이다.</p>"
        "</article></body></html>"
    )
    title, text = extract_page(xhtml, "https://example.com/x")
    assert title == "XHTML 문서"
    assert "인코딩 선언이 있는 XHTML 문서도" in text


def test_a_pages_bold_lines_stay_in_their_section() -> None:
    """A student's bold line heads what follows (a note's pseudo-heading); a page has real
    headings, and its bold tab names ("Default", "GCP") are labels inside the section: a
    section "Default" holding only "탭 중 하나를 선택" had answered "what is the default …?"."""
    from ingest.chunking import chunk_reference

    html = """<html><body><article><h1>서비스</h1><h2>내부 로드 밸런서</h2>
    <p>내부 로드 밸런서를 설정하려면 다음 어노테이션 중 하나를 서비스에 추가한다.</p>
    <p><strong>Default</strong></p><p>탭 중 하나를 선택</p>
    <p><strong>GCP</strong></p>
    <pre><code>cloud.google.com/load-balancer-type: "Internal"</code></pre>
    </article></body></html>"""
    title, text = extract_page(html, "https://example.com/svc")
    docs = chunk_reference("https://example.com/svc", title, text, "n.md")
    sections = {d.metadata["section"] for d in docs}
    assert sections == {"내부 로드 밸런서"}, sections
