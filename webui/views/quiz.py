"""The quiz tab's text: the question, the verdict with its source, the score, and
:class:`QuizView`, what the panel shows for a session's phase."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer.citations import location_of
from rag.quiz.items import TF_CHOICES
from webui.views.chat import link_html
from webui.views.links import crumbs, note_href, safe_url

if TYPE_CHECKING:
    from rag.quiz.session import QuizSession

QUIZ_CSS = """
.quiz-card { border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 10px 14px; display: flex; flex-direction: column; gap: 6px; }
.quiz-verdict { font-weight: 700; font-size: 1.1em; }
.quiz-verdict.ok { color: #15803d; }
.quiz-verdict.no { color: #b91c1c; }
.quiz-explain, .quiz-feedback { line-height: 1.5; }
.quiz-source { font-size: 0.85em; color: var(--body-text-color-subdued); word-break: break-all; }
"""

QUIZ_TYPE_LABELS = {"mc": "객관식", "tf": "O/X", "short": "단답형", "cloze": "빈칸 채우기"}
WRONG_QUESTION_CHARS = 80  # a wrong question is listed under the score, cut to one line
DONE_MESSAGE = "퀴즈를 마쳤습니다. 아래에서 내보내거나 새 퀴즈를 시작하세요."


def item_field(item: Any, name: str, default: Any = None) -> Any:
    """Read a QuizItem field whether it is the dataclass or its ``to_dict()`` form."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def item_choices(item: Any) -> list[str]:
    choices = [str(c) for c in (item_field(item, "choices") or [])]
    if not choices and item_field(item, "type") == "tf":
        return list(TF_CHOICES)
    return choices


def uses_choices(item: Any) -> bool:
    return item_field(item, "type") in {"mc", "tf"}


def citation_line(citation: dict[str, Any] | None, corpus_dir: Path | None = None) -> str:
    """HTML for a quiz item's source: title › section and a link (URL or note:lines)."""
    if not citation:
        return ""
    path = " › ".join(crumbs(str(citation.get("section", ""))))
    title = str(citation.get("title") or citation.get("source") or "")
    href = safe_url(str(citation.get("url") or "")) or note_href(
        str(citation.get("source") or ""), corpus_dir
    )
    head = html.escape(title) + (f" › {html.escape(path)}" if path else "")
    return f'<div class="quiz-source">출처: {head} · {link_html(href, location_of(citation))}</div>'


def question_markdown(session: QuizSession) -> str:
    item = session.current
    if item is None:
        return ""
    kind = QUIZ_TYPE_LABELS.get(item_field(item, "type"), item_field(item, "type") or "")
    head = f"**문제 {session.index + 1} / {session.total}** · {kind}"
    if session.topic:
        head += f" · 주제: {session.topic}"
    return f"{head}\n\n{item_field(item, 'question', '')}"


def feedback_html(session: QuizSession, corpus_dir: Path | None = None) -> str:
    """Verdict, the grader's feedback (expected answer, explanation, evidence) and a link to
    the source of the question just graded."""
    if session.phase != "graded" or not session.results:
        return ""
    item = session.items[session.index]
    result = session.results[-1]
    lines = [line for line in result.feedback.splitlines() if line.strip()]
    head = lines[0] if lines else ("정답입니다!" if result.correct else "틀렸습니다.")
    rest = lines[1:]
    if not result.correct and result.expected and result.expected not in head:
        head += f" 정답: {result.expected}"
    explanation = str(item_field(item, "explanation") or "")
    if explanation and explanation not in result.feedback:
        rest.append(f"설명: {explanation}")
    badge = "ok" if result.correct else "no"
    parts = [
        f'<div class="quiz-verdict {badge}">{"✅" if result.correct else "❌"} '
        f"{html.escape(head)}</div>"
    ]
    if result.given and not uses_choices(item):  # a choice is echoed by the grader itself
        parts.append(f'<div class="quiz-given">내 답: {html.escape(result.given)}</div>')
    if rest:
        body = "<br>".join(html.escape(line) for line in rest)
        parts.append(f'<div class="quiz-explain">{body}</div>')
    parts.append(citation_line(item_field(item, "citation"), corpus_dir))
    return f'<div class="quiz-card">{"".join(parts)}</div>'


def score_markdown(session: QuizSession) -> str:
    if session.phase != "done":
        if session.results:
            return f"지금까지 {session.correct_count} / {len(session.results)} 정답"
        return ""
    total = max(1, session.total)
    pct = round(100 * session.score / total)
    lines = [f"### 최종 점수: {session.correct_count} / {session.total} 정답 ({pct}점)"]
    wrong = [
        (i, r) for i, r in enumerate(session.results) if not r.correct and i < len(session.items)
    ]
    if wrong:
        lines.append("다시 볼 문제:")
        for i, r in wrong:
            question = str(item_field(session.items[i], "question", "")).replace("\n", " ")
            lines.append(f"- {question[:WRONG_QUESTION_CHARS]} → **{r.expected}**")
    return "\n".join(lines)


@dataclass
class QuizView:
    """What the quiz panel shows for a session; the quiz tab turns it into component updates."""

    question: str
    choices: list[str]
    show_choices: bool
    show_text: bool
    can_submit: bool
    can_next: bool
    feedback: str
    score: str
    status: str
    can_export: bool


def quiz_view(session: QuizSession, corpus_dir: Path | None = None) -> QuizView:
    item = session.current
    choosing = item is not None and uses_choices(item)
    return QuizView(
        question=question_markdown(session),
        choices=item_choices(item) if choosing else [],
        show_choices=choosing,
        show_text=item is not None and not choosing,
        can_submit=session.phase == "asking" and item is not None,
        can_next=session.phase == "graded",
        feedback=feedback_html(session, corpus_dir),
        score=score_markdown(session),
        status=DONE_MESSAGE if session.phase == "done" else session.message,
        can_export=bool(session.items),
    )


def topic_choices(topics: list[str]) -> list[tuple[str, str]]:
    """Dropdown choices: "all topics" first, then the notes' topics."""
    return [("전체 (all topics)", "")] + [(t, t) for t in topics if t]
