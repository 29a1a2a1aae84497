"""Recent answers: a repeated question costs no second search, a new index generation does."""

from __future__ import annotations

import pytest

from assistant.cache import AnswerCache


def test_the_least_recently_used_answer_goes_first():
    cache = AnswerCache(size=2)
    cache.put("a", {"x": 1})
    cache.put("b", {"x": 2})
    assert cache.get("a") == {"x": 1}  # "a" is now the most recent
    cache.put("c", {"x": 3})
    assert cache.get("b") is None and cache.get("a") == {"x": 1} and len(cache) == 2


def test_a_caller_changing_its_answer_does_not_change_the_cache():
    cache = AnswerCache()
    cache.put("k", {"sources": [1]})
    got = cache.get("k")
    got["sources"].append(2)
    assert cache.get("k") == {"sources": [1]}


def test_a_repeated_question_is_answered_without_a_second_search(seed_assistant, monkeypatch):
    question = "Wat betekent een veilige haven voor een kind?"
    first = seed_assistant.ask(question)

    def no_search(*args, **kwargs):
        raise RuntimeError("searched again")

    monkeypatch.setattr(seed_assistant, "_prepare", no_search)
    again = seed_assistant.ask(question)
    assert again == first and again is not first
    with pytest.raises(RuntimeError):  # another history is another question
        seed_assistant.ask(question, ["Wat is hechting?"])
    monkeypatch.setattr(type(seed_assistant.retriever.snapshot), "name", "another-generation")
    with pytest.raises(RuntimeError):  # a new index generation answers anew
        seed_assistant.ask(question)
