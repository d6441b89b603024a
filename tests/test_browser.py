"""The app in headless Chromium, as a student uses it: ask (example click, typed question,
refusal suggestion), take a quiz step, open the library; screenshots of each tab go to
docs/screenshots/. Debian's chromium only; Playwright never downloads a browser here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Shares the app (and its index build) with the other UI tests when they run in one session.
from test_app import LiveApp, live_app_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest) -> LiveApp:
    return live_app_for(request)


@pytest.fixture(scope="module")
def page(live: LiveApp) -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian chromium not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(live.url)
            page.wait_for_selector("#question textarea")
            yield page
        finally:
            browser.close()


def wait_for_answer(page: Any, n: int) -> str:
    """Wait until the n-th answer is complete (streamed answers end with their source line,
    refusals and errors with their own text) and return its text."""
    page.wait_for_function(
        """([n]) => {
            const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
            if (bots.length < n) return false;
            const text = bots[n - 1].innerText;
            return text.includes('출처 ·') || text.includes('🙅') || text.includes('⚠️');
        }""",
        arg=[n],
    )
    return page.locator('#chatbot [data-testid="bot"]').nth(n - 1).inner_text()


def test_chat_in_the_browser(page: Any, live: LiveApp) -> None:
    # 1. An example question from the notes, one click.
    # The examples arrive with the page's load event (they follow the index).
    page.wait_for_selector("#examples button")
    examples = page.locator("#examples button")
    assert examples.count() >= 3
    examples.first.click()
    first = wait_for_answer(page, 1)
    assert "[1]" in first
    card = page.locator("#sources .src-card").first
    card.wait_for()
    assert card.locator(".src-n").inner_text() == "[1]"
    assert card.locator(".src-crumbs").inner_text().strip()
    # The note link opens the note itself through the app.
    href = card.locator(".src-link a").get_attribute("href")
    response = page.request.get(live.url + href)
    assert response.ok and "## 날짜" in response.text()

    # 2. A question the notes do not cover: refusal with clickable suggestions.
    page.fill("#question textarea", "Terraform으로 AWS VPC를 만드는 방법은?")
    page.keyboard.press("Enter")
    assert "노트에 없는 내용입니다" in wait_for_answer(page, 2)
    suggestion = page.get_by_role("button", name="무엇인가요?").last
    suggestion.wait_for()
    asked = suggestion.inner_text().strip()
    suggestion.click()
    wait_for_answer(page, 3)
    users = page.locator('#chatbot [data-testid="user"]').all_inner_texts()
    assert any(asked in u for u in users)

    # 3. A typed question: answer with [n] markers and highlighted sources.
    page.fill("#question textarea", "파드(Pod)란 무엇인가요?")
    page.get_by_role("button", name="질문하기", exact=True).click()
    last = wait_for_answer(page, 4)
    assert "[1]" in last and "파드" in last
    page.wait_for_selector("#sources .src-card mark")
    assert "파드" in page.locator("#sources").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)


def test_quiz_in_the_browser(page: Any) -> None:
    page.get_by_role("tab", name="퀴즈 (Quiz)").click()
    page.locator("#quiz-start").click()
    page.wait_for_function(
        "() => document.querySelector('#quiz-question')?.innerText.includes('문제 1 /')"
    )
    # A choice question shows radio buttons, a short/cloze one a text box; wait for either
    # (they mount a moment after the question text).
    page.wait_for_selector("#quiz-choice label, #quiz-text textarea")
    choices = page.locator("#quiz-choice label")
    if choices.count():
        choices.first.click()
    else:
        page.locator("#quiz-text textarea").fill("모르겠어요")
    page.locator("#quiz-submit").click()
    page.wait_for_selector("#quiz-fb .quiz-verdict")
    verdict = page.locator("#quiz-fb .quiz-verdict").inner_text()
    assert "✅" in verdict or "❌" in verdict
    assert page.locator("#quiz-fb .quiz-source").inner_text().startswith("출처")
    assert page.locator("#quiz-next").is_enabled()
    page.screenshot(path=str(SHOTS / "quiz.png"), full_page=True)


def test_library_in_the_browser(page: Any) -> None:
    page.get_by_role("tab", name="노트 관리 (Library)").click()
    page.wait_for_function(
        "() => document.querySelector('#library')?.innerText.includes('2025-02-11.md')"
    )
    text = page.locator("#library").inner_text()
    assert "색인됨" in text and "실패" in text  # offline: linked pages failed, with reasons
    assert "노트" in page.locator("#lib-summary").inner_text()
    page.screenshot(path=str(SHOTS / "library.png"), full_page=True)
