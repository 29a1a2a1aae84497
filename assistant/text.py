"""Dutch text analysis for lexical retrieval: folding, stop words, stemming, compounds."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Snowball's Dutch stop words plus question and filler words that say nothing about the topic.
STOPWORDS = frozenset(
    """
    de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om
    hem dan zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar
    naar heb hoe heeft hebben deze u want nog zal me zij nu ge geen omdat iets worden toch al
    waren veel meer doen toen moet ben zonder kan hun dus alles onder ja eens hier wie werd
    altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand geweest
    andere we wij jij jullie jou jouw zijn hun welke welk waar wanneer waarom hoeveel wel
    graag eigenlijk even gewoon misschien mag mogen moeten kunt kun zou zouden willen wilt
    vraag vragen weet weten iemand ergens bijvoorbeeld beetje best heel erg echt ongeveer
    hallo hoi beste groet groeten dank bedankt alvast svp aub please hey
    doet doe doen houdt houden geldt gelden zegt zeggen bedoeld bedoelt betekent betekenen
    betekenis gebeurt gebeuren staat staan gaat gaan ga komt komen krijg krijgt krijgen maak
    maakt zit zitten hoort horen vind vindt kies helpt helpen
    kenmerk kenmerken verschil verschillen manier manieren soort soorten informatie uitleg
    tip tips advies adviezen voorbeeld
    """.split()
)
# Number words and digits index as the same term: "drie basisvoorwaarden" finds "3 basisvoorwaarden".
NUMBERS = {
    "twee": "2",
    "drie": "3",
    "vier": "4",
    "vijf": "5",
    "zes": "6",
    "zeven": "7",
    "acht": "8",
    "negen": "9",
    "tien": "10",
    "twaalf": "12",
    "twintig": "20",
    "honderd": "100",
}

_WORD = re.compile(r"[0-9a-z]+(?:[&'][0-9a-z]+)*")
_stemmer = snowballstemmer.stemmer("dutch")
LINKERS = ("", "s", "e", "en")  # Dutch compound linking morphemes: hechting-s-problemen


def fold(text: str) -> str:
    """Lower case without diacritics: 'Cliënten' -> 'clienten'."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


class Analyzer:
    """Turns text into index terms; splits compounds into words the corpus knows.

    `vocabulary` holds the folded words of the corpus. A long word is split when it can be
    read as two or more known words joined by an optional Dutch linking morpheme
    ("hechtingsproblemen" -> "hechting" + "problemen"); the whole word is kept as well.
    """

    MIN_PART = 4
    MIN_COMPOUND = 8

    def __init__(self, vocabulary: set[str] | frozenset[str] = frozenset()):
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= self.MIN_PART)
        self.stems = frozenset(stem(w) for w in self.vocabulary)
        self._split_cache: dict[str, tuple[str, ...]] = {}
        self._deletes: dict[str, str] | None = None

    def split_compound(self, word: str) -> tuple[str, ...]:
        if len(word) < self.MIN_COMPOUND or not self.vocabulary:
            return ()
        cached = self._split_cache.get(word)
        if cached is None:
            cached = self._split(word, depth=0) or self._split_head(word) or ()
            if cached == (word,):
                cached = ()
            if len(self._split_cache) < 100_000:
                self._split_cache[word] = cached
        return cached

    def _known(self, word: str) -> bool:
        return word in self.vocabulary or stem(word) in self.stems

    def _split(self, word: str, depth: int) -> tuple[str, ...] | None:
        # A part may be any known word; the whole word itself is always tried for a split.
        if depth > 0 and self._known(word):
            return (word,)
        if depth >= 3:
            return None
        # Prefer the longest known head, so "gehechtheidsrelatie" -> "gehechtheid" + "relatie".
        for cut in range(len(word) - self.MIN_PART, self.MIN_PART - 1, -1):
            head = word[:cut]
            if head not in self.vocabulary:
                continue
            for linker in LINKERS:
                rest = word[cut:]
                if linker:
                    if not rest.startswith(linker):
                        continue
                    rest = rest[len(linker) :]
                if len(rest) < self.MIN_PART:
                    continue
                tail = self._split(rest, depth + 1)
                if tail:
                    return (head, *tail)
        return None

    def _split_head(self, word: str) -> tuple[str, ...] | None:
        """Fallback: a long known head and an unknown tail ("cliëntdossier" -> "client", "dossier")."""
        for cut in range(len(word) - 4, 5, -1):
            head = word[:cut]
            if head in self.vocabulary:
                rest = word[cut:]
                for linker in ("s", "en", "e"):
                    if rest.startswith(linker) and len(rest) - len(linker) >= 4:
                        rest = rest[len(linker) :]
                        break
                return (head, rest)
        return None

    def correct(self, word: str) -> str | None:
        """A known word one edit away from an unknown one ("hechtnig" -> "hechting")."""
        if len(word) < 5 or word in self.vocabulary or not self.vocabulary:
            return None
        if self._deletes is None:
            index: dict[str, str] = {}
            for known in sorted(self.vocabulary):
                if len(known) >= 5:
                    for i in range(len(known)):
                        index.setdefault(known[:i] + known[i + 1 :], known)
                    index.setdefault(known, known)
            self._deletes = index
        for variant in [word] + [word[:i] + word[i + 1 :] for i in range(len(word))]:
            found = self._deletes.get(variant)
            if found and found != word and abs(len(found) - len(word)) <= 1:
                return found
        return None

    def query_words(self, text: str) -> list[str]:
        """The content words of a question, typos corrected against the corpus vocabulary."""
        out = []
        for word in words(text):
            if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
                continue
            if word not in self.vocabulary and not self.split_compound(word):
                word = self.correct(word) or word
            out.append(word)
        return out

    def terms(self, text: str, query: bool = False) -> list[str]:
        """Stemmed content terms, compound parts added after the whole word."""
        out: list[str] = []
        for word in self.query_words(text) if query else words(text):
            if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
                continue
            out.append(NUMBERS.get(word) or stem(word))
            for part in self.split_compound(word):
                if part not in STOPWORDS:
                    out.append(stem(part))
        return out


def vocabulary_of(texts: list[str]) -> set[str]:
    vocab: set[str] = set()
    for text in texts:
        vocab.update(words(text))
    return vocab


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9'\"‘(])|(?<=[a-z]\.)(?=[A-Z][a-z])|\n+")


def sentences(text: str) -> list[str]:
    """Split Dutch prose into sentences (also where the source lacks a space after '.')."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]
