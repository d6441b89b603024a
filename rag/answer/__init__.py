"""Grounded answers: coverage (refuse or not), passages, composition, citations.

``coverage`` decides whether the notes cover a question (a typed :class:`Reason`);
``passages`` picks what of the ranked sections to show; ``compose`` writes the extractive
answer or the refusal, ``llm`` the prompts and checks of the LLM composer; ``citations``
numbers sources once; ``question`` validates input; ``result`` is what front ends receive.
"""

from rag.answer.citations import Citation
from rag.answer.coverage import Coverage, Reason
from rag.answer.question import QuestionError, clean_question
from rag.answer.result import Answer

__all__ = ["Answer", "Citation", "Coverage", "QuestionError", "Reason", "clean_question"]
