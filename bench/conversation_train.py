"""Write assistant/resources/conversation-questions.tsv and fit the packaged conversation weights.

The conversational examples (greetings, thanks, "wat kun je?") and hard short questions are
written by hand in conversation-train.tsv. Every labelled training question of tests/eval (the
files the ranking and answerability models are fitted on; never the blind ones) joins
them as a question, so that the vote knows what real questions look like. Then the weights for
the default embedding model are fitted and stored beside the data, with leave-one-out figures.

    .venv/bin/python bench/conversation_train.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.conversation import QUESTION, RESOURCES, train, weights_name  # noqa: E402
from assistant.embeddings import make_embedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402

EVAL = ROOT / "tests" / "eval"
# The Makefile's TRAIN_QUESTIONS (README: Ranking and answerability).
QUESTION_FILES = [
    line.strip()
    for line in (EVAL / "training-files.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
OUT = RESOURCES / "conversation-questions.tsv"


def questions() -> list[str]:
    seen: dict[str, None] = {}
    for name in QUESTION_FILES:
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            text = parts[0].strip()
            if len(parts) > 1 and parts[1].strip() == "SMALLTALK":
                continue  # a conversation turn, not a question
            if text and not line.startswith("#") and text.lower() not in ("question", "vraag"):
                seen.setdefault(text.replace("\t", " "), None)
    return list(seen)


def main() -> None:
    rows = questions()
    header = (
        "# Labelled training questions (tests/eval, training files only) as questions for\n"
        "# assistant/conversation.py. Written by bench/conversation_train.py: do not edit.\n"
    )
    OUT.write_text(header + "".join(f"{q}\t{QUESTION}\n" for q in rows), encoding="utf-8")
    settings = Settings()
    embedder = make_embedder(settings.embedding_model)
    model = train(embedder)
    path = RESOURCES / weights_name(embedder.name)
    model.save(path)
    print(
        f"{len(rows)} questions written; {path.name}: threshold {model.threshold}, {model.figures}"
    )


if __name__ == "__main__":
    main()
