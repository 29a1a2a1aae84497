"""The answerability model: a regression and the vote of the nearest labelled questions."""

from __future__ import annotations

import numpy as np

from assistant.answerability import SIGNALS, AnswerabilityModel, fit


def labelled(seed: int = 0, n: int = 120):
    """Questions near one of two directions: the corpus answers those near the first."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.6
    direction = np.where(y[:, None], np.eye(16)[0], np.eye(16)[1])
    vectors = direction + 0.3 * rng.standard_normal((n, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    signals = rng.random((n, len(SIGNALS)))
    groups = np.array([f"file{i % 4}.tsv" for i in range(n)])
    return np.hstack([signals, vectors]), y, groups


def test_the_fitted_model_tells_the_two_kinds_apart_and_survives_saving(tmp_path):
    x, y, groups = labelled()
    model = fit(x, y, "test-model", groups)
    assert model.neighbours is not None and len(model.neighbours["answerable"]) == len(y)
    assert model.figures["cv_groups"] == 4
    assert model.figures["cv_false_refusals"] <= 0.05
    path = tmp_path / "answerability-test.json"
    model.save(path)
    again = AnswerabilityModel.load(path)
    for row in x[:10]:
        assert abs(again.probability(row) - model.probability(row)) < 1e-3
    answerable, out_of_scope = x[y][0], x[~y][0]
    assert again.probability(answerable) > again.threshold > again.probability(out_of_scope)


def test_a_file_held_out_does_not_vote_for_its_own_questions():
    x, y, groups = labelled()
    # An answerable question that reads like the out-of-scope ones: only its own row votes yes.
    x[0, len(SIGNALS) :] = np.eye(16)[1]
    y[0] = True
    model = fit(x, y, "test-model", groups)
    row = x[0]
    with_own = model.probability(row)
    model.holding_out(groups[0])
    without_own = model.probability(row)
    model.holding_out(None)
    assert model.probability(row) == with_own
    assert without_own < with_own - 0.2  # its own (identical) vector no longer votes yes


def test_a_model_of_the_first_version_has_no_vote_and_still_loads(tmp_path):
    x, y, groups = labelled()
    model = fit(x, y, "test-model", groups)
    model.neighbours = None
    assert 0.0 <= model.probability(x[0]) <= 1.0


def test_files_of_one_kind_each_fall_back_to_stratified_folds():
    x, y, _ = labelled()
    groups = np.where(y, "answerable.tsv", "out_of_scope.tsv")  # leaving one out leaves one kind
    model = fit(x, y, "test-model", groups)
    assert model.figures["cv_groups"] == 5
