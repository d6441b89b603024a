"""Tests of rag.eval.faithfulness: how the LLM judge's replies are read."""

from __future__ import annotations

from rag.eval.faithfulness import judge_faithfulness


class _Reply:
    def __init__(self, content: str) -> None:
        self.content = content


class _Judge:
    """A chat model that always gives the same reply and keeps the prompts it was sent."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def invoke(self, prompt: str) -> _Reply:
        self.prompts.append(prompt)
        return _Reply(self.reply)


def test_faithfulness_judge_reads_yes_no_and_shows_sources() -> None:
    judge = _Judge("YES.")
    assert judge_faithfulness(judge, "answer text", ["source one", "source two"]) is True
    assert "source two" in judge.prompts[0] and "answer text" in judge.prompts[0]
    assert judge_faithfulness(_Judge(" no, it adds a claim"), "a", ["s"]) is False
    assert judge_faithfulness(_Judge("아니요"), "a", ["s"]) is False
    assert judge_faithfulness(_Judge("maybe"), "a", ["s"]) is None
