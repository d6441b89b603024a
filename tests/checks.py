"""Checks and question sets shared by the answer and retrieval tests."""

from __future__ import annotations

import os
import subprocess
import sys

from rag.answer.citations import MARKER, Citation

# (question, expected section substring): paraphrases that avoid the note's wording, and
# English questions about the Korean note.
PARAPHRASES = [
    ("운영체제 없이 장비 위에서 곧바로 돌아가는 하이퍼바이저는?", "Type 1"),
    ("게스트 OS를 VM마다 따로 띄우면 왜 비용이 늘어나?", "VM 기반의 배포"),
    ("쿠버네티스에서 만들 수 있는 제일 작은 배포 단위는?", "파드"),
    ("원하는 개수의 파드 복제본을 계속 유지해 주는 건?", "레플리카셋"),
    ("바깥에서 클러스터 안의 서비스로 HTTP 경로를 열어 주는 것은?", "인그레스"),
    ("도커가 기존 리눅스 컨테이너에 더해 주는 것은?", "도커"),
    ("What is a hypervisor?", "하이퍼바이저"),
    ("What does a ReplicaSet guarantee?", "레플리카셋"),
    ("How does Kubernetes restart failed containers?", "자동화된 복구"),
]


def check_citations(answer_text: str, citations: list[Citation]) -> None:
    """Every [n] in the text has its entry, no entry is uncited, numbers run 1..n."""
    used = [int(m) for m in MARKER.findall(answer_text)]
    assert sorted(set(used)) == [c.n for c in citations] == list(range(1, len(citations) + 1))


def stdout_per_hash_seed(code: str, *args: str, seeds: int = 2, timeout: int = 300) -> list[str]:
    """What ``python -c code args`` prints under PYTHONHASHSEED 1..seeds: Python salts string
    hashes per process, so anything iterated from a set changes from one process to the next."""
    return [
        subprocess.run(
            [sys.executable, "-c", code, *args],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
        for seed in range(1, seeds + 1)
    ]
