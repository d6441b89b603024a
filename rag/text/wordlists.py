"""Word lists, each with where it came from. Only general properties of the language or of
note-taking live here: never a word of one corpus's topics.
"""

from __future__ import annotations

from rag.text.normalize import compact

# Kiwi tags English function words as SL (content); without this list English questions look
# like they are full of terms the notes never use. Source: the common English function words
# plus the question verbs seen in English study questions ("explain", "difference").
ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have
    how i if in into is it its me my of on or our should so than that the their them then there
    these they this those to was we were what when where which who whom why will with would you
    your about between difference differ different explain tell describe mean means meaning
    vs versus please show give define definition compare comparison work works use used using
    one ones also more most other some such only own same very just there's what's it's""".split()
)
# Korean function-like nouns and question words that say nothing about the topic. Source:
# Kiwi's analysis of question templates ("…의 차이점은 무엇인가요?", "…에 대해 설명해 줘").
KOREAN_STOPWORDS = frozenset(
    (
        "것 수 등 때 중 및 무엇 뭐 뭔가 어떤 어떻 어느 왜 어디 누구 언제 얼마 몇 개 가지 관련 "
        "대해 대한 경우 차이 차이점 설명 의미 말 이 그 저 하 되 있 없 알 주 같 다르 보 정의 "
        "역할 방법 뜻 특징 무슨 어떻게 해주 알려주 좀 정리 내용 개념 점 이유"
    ).split()
)
# Headings that organise a note or a page but name no concept: note-template and diary
# headings (TIL templates in Korean and English, KPT retrospectives) and documentation
# furniture (예시, 장점, 개요). A journal of few notes cannot show its template by recurrence.
# Never a quiz term, a distractor or an example question. Stored compacted (see ``compact``).
_GENERIC_HEADING_WORDS = """
    예시 예제 용어 동기 단점 장점 대안 구성 개요 참고 경고 주의 노트 소개 요약 정리 배경 목적
    설명 유스케이스 전제조건 전제조건들 다음내용 개념정리 개념 API오브젝트 사용방법 문제해결
    오늘의회고 스크럼 회고 느낀점 til tiltemplate template 날짜 참고자료 참고링크 오늘배운것
    학습목표 todo 할일 내일할일 메모 질문 keep problem try references reference summary notes
    종류 특징 특성 이점 장단점 동작방식 동작과정 동작원리 원리 사용법 구조 과정 기능 주요개념
    차이점 비교 정의 방식 실습 적용 예시코드 코드 결과 정리하기 문제 풀이 해결 해결방법
    배운점 배운내용 오늘한일 한일 오늘의학습 학습내용 학습기록 공부내용 오늘의목표 목표 소감 후기
    링크 출처 레퍼런스 todayilearned whatilearned learned retrospective reflection goals links
    resources overview examples example pros cons introduction conclusion background nextsteps
""".split()
GENERIC_HEADINGS = frozenset(compact(w) for w in _GENERIC_HEADING_WORDS)


def is_generic_heading(label: str) -> bool:
    return compact(label) in GENERIC_HEADINGS


# Words for a topic's good and bad sides: a question asks for one ("JWT 단점?") where a note
# heads it with another ("JWT 취약점 및 해결책"). Source: Korean synonyms of 장점 and 단점 (a
# section on 장단점 holds both), and the English words for them, which an English question
# uses of Korean notes. A general property of the languages, never a corpus's topic.
_ASPECT_SETS = (
    frozenset({"장점", "강점", "장단점", "advantages", "advantage", "benefits", "benefit", "pros"}),
    frozenset(
        {
            "단점", "약점", "한계", "한계점", "문제점", "취약점", "장단점",
            "disadvantages", "disadvantage", "drawbacks", "drawback", "downsides", "downside",
            "weaknesses", "weakness", "limitations", "limitation", "problems", "cons",
        }
    ),
)  # fmt: skip


def aspect_synonyms(token: str) -> list[str]:
    """The other words of ``token``'s aspect sets, in a fixed order."""
    return sorted({w for group in _ASPECT_SETS if token in group for w in group} - {token})
