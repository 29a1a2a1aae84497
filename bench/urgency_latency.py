"""How much the urgency detector adds to a question that the pipeline has already embedded."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.embeddings import make_embedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.urgency import UrgencyDetector  # noqa: E402

QUESTIONS = [
    "Wat is hechting?",
    "Mijn cliënt geeft al zijn spullen weg en zegt dat niemand hem zal missen.",
    "Hoe beïnvloedt mishandeling de hechting?",
    "Een begeleider zit aan een cliënte als hij haar helpt met douchen.",
]


def main() -> None:
    embedder = make_embedder(Settings().embedding_model)
    detector = UrgencyDetector(embedder)
    vectors = [embedder.embed_query(q) for q in QUESTIONS]
    detector.assess(QUESTIONS[0], vectors[0])  # load the weights
    times = []
    for _ in range(50):
        for q, v in zip(QUESTIONS, vectors, strict=True):
            start = time.perf_counter()
            detector.assess(q, v)
            times.append(1000 * (time.perf_counter() - start))
    times.sort()
    print(
        f"urgency assess with the question's vector: median {statistics.median(times):.2f} ms, "
        f"p95 {times[int(0.95 * len(times))]:.2f} ms ({len(times)} calls)"
    )


if __name__ == "__main__":
    main()
