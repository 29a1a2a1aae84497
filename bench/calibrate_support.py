"""Calibrate the support check for generated sentences (assistant/verify.py).

With --search, chooses the semantic weight and threshold on tests/eval/support_calibration.tsv
(best F0.5: precision counts more than recall); without, uses the configured ones. Either way
it then scores the held-out tests/eval/support_test.tsv at that choice. Prints precision (of the sentences
kept, the share that is supported) and recall (of the supported sentences, the share kept).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/calibrate_support.py [--search] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_corpus  # noqa: E402
from assistant.embeddings import make_embedder  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.text import Analyzer, vocabulary_of  # noqa: E402
from assistant.verify import (  # noqa: E402
    SEMANTIC_WEIGHT,
    Verifier,
    calibrate,
    figures,
    read_examples,
    score_examples,
)

EVAL = ROOT / "tests" / "eval"


def show(name: str, f) -> None:
    print(
        f"{name:12s} n={f.examples:3d}  precision={f.precision:.3f}  recall={f.recall:.3f}  "
        f"false accepts={len(f.false_accepts)}  false rejects={len(f.false_rejects)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--search", action="store_true", help="choose weight and threshold on the calibration part"
    )
    parser.add_argument("--weight", type=float, help="score at this semantic weight")
    parser.add_argument("--threshold", type=float, help="score at this threshold")
    parser.add_argument("--verbose", action="store_true", help="list the misclassified examples")
    args = parser.parse_args()

    settings = Settings()
    docs = load_corpus(ROOT / "corpus", ROOT, settings.contact_id)
    passages = {d.id: d.body for d in docs}
    analyzer = Analyzer(vocabulary_of([f"{d.title} {d.body}" for d in docs]))
    verifier = Verifier(
        make_embedder(settings.embedding_model), analyzer.terms, settings.support_threshold
    )

    calibration = score_examples(
        verifier, read_examples(EVAL / "support_calibration.tsv"), passages
    )
    held_out = score_examples(verifier, read_examples(EVAL / "support_test.tsv"), passages)
    if args.search:
        chosen = calibrate(calibration)
    else:  # the configured choice
        weight = args.weight if args.weight is not None else SEMANTIC_WEIGHT
        threshold = args.threshold if args.threshold is not None else settings.support_threshold
        chosen = figures(calibration, weight, threshold)
    print(f"semantic weight {chosen.semantic_weight:.2f}, threshold {chosen.threshold:.4f}")
    show("calibration", chosen)
    test = figures(held_out, chosen.semantic_weight, chosen.threshold)
    show("held-out", test)
    if args.verbose:
        for name, f in (("calibration", chosen), ("held-out", test)):
            for ex in f.false_accepts:
                print(f"  {name} false accept [{ex.category}] {ex.passage_id}: {ex.sentence}")
            for ex in f.false_rejects:
                print(f"  {name} false reject [{ex.category}] {ex.passage_id}: {ex.sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
