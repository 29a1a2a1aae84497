"""Command line: ingest, ask, draft, eval. Thin: the library does the work."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

from .errors import AssistantError, CorpusError

log = logging.getLogger("assistant")


def _settings():
    from .settings import Settings

    return Settings()


def _dump(obj) -> str:
    return json.dumps(dataclasses.asdict(obj), ensure_ascii=False)


def _assistant(settings, build_if_missing: bool = True):
    from .pipeline import Assistant, build_ingestor

    assistant = Assistant.from_settings(settings)
    if not assistant.retriever.store.pointer().get("active") and build_if_missing:
        print("Er is nog geen index; die wordt nu gebouwd.", file=sys.stderr)
        build_ingestor(settings, assistant.retriever.embedder).run()
    return assistant


def cmd_ingest(args) -> int:
    from .pipeline import build_ingestor

    settings = _settings()
    ingestor = build_ingestor(settings)
    if args.check:
        docs = ingestor.check()
        if args.json:
            print(json.dumps({"ok": True, "documents": len(docs)}))
        else:
            print(f"De corpus is in orde: {len(docs)} documenten.")
        return 0
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if args.json:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="Inbedden", unit="stuk", file=sys.stderr)
        bar.n = done
        bar.refresh()

    try:
        report = ingestor.run(progress=progress, wait_seconds=args.wait)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        out = dataclasses.asdict(report)
        out["summary"] = report.summary()
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def _questions(args):
    if args.question == ["-"]:
        for line in sys.stdin:
            if line.strip():
                yield line.rstrip("\n")
    else:
        yield " ".join(args.question)


def cmd_ask(args) -> int:
    assistant = _assistant(_settings())
    for question in _questions(args):
        answer = assistant.ask(question)
        if args.json:
            print(_dump(answer), flush=True)
        else:
            print(answer.answer)
            print()
    return 0


def cmd_draft(args) -> int:
    if args.file in (None, "-"):
        text = sys.stdin.read()
    else:
        text = Path(args.file).read_text(encoding="utf-8", errors="replace")
    draft = _assistant(_settings()).draft(text)
    print(_dump(draft) if args.json else draft.text)
    return 0


def cmd_eval(args) -> int:
    from .evaluation import evaluate, read_cases

    settings = _settings()
    assistant = _assistant(settings)
    assistant.ask("warm-up")  # load the model before the clock starts
    root = Path(settings.corpus_dir).resolve().parent
    status = 0
    for file in args.files:
        report = evaluate(assistant, read_cases(Path(file)), root, file)
        if args.json:
            print(_dump(report))
            continue
        if args.verbose:
            for f in report.failures:
                print(f"  fout: [{f.kind}] {f.question} -> {f.cited} (verwacht: {f.expected})")
        print(f"== {file}")
        print(report.table())
    return status


def cmd_urgency_train(args) -> int:
    from .embeddings import make_embedder
    from .urgency import (
        DEV_FILE,
        RESOURCES,
        TRAIN_FILE,
        UrgencyDetector,
        evaluate_urgency,
        train,
        weights_name,
    )

    settings = _settings()
    embedder = make_embedder(settings.embedding_model)
    model = train(
        embedder,
        Path(args.train or TRAIN_FILE),
        Path(args.dev or DEV_FILE),
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    target = Path(args.out) if args.out else RESOURCES / weights_name(embedder.name)
    model.save(target)
    print(
        f"Gewichten opgeslagen in {target} (drempels: urgent {model.urgent_threshold}, "
        f"verwijsregel {model.soft_threshold})."
    )
    report = evaluate_urgency(UrgencyDetector(embedder, model), Path(args.dev or DEV_FILE))
    print(f"== {report.file}")
    print(report.table())
    return 0


def cmd_urgency_eval(args) -> int:
    from .embeddings import make_embedder
    from .urgency import UrgencyDetector, evaluate_urgency

    settings = _settings()
    detector = UrgencyDetector.from_settings(settings, make_embedder(settings.embedding_model))
    status = 0
    for file in args.files:
        report = evaluate_urgency(detector, Path(file))
        if args.json:
            out = dataclasses.asdict(report)
            out["urgent_recall"] = report.urgent_recall
            out["urgent_false_alarms"] = report.urgent_false_alarms
            print(json.dumps(out, ensure_ascii=False))
            continue
        print(f"== {file}")
        print(report.table())
        if args.verbose:
            for miss in report.misses:
                print(
                    f"  fout: {miss.expected} -> {miss.got} (p={miss.probability:.2f}): {miss.text}"
                )
        if report.urgent_recall < 1.0:
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="Hechtingsassistent")
    parser.add_argument("-v", "--verbose-log", action="store_true", help="meer logregels")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="corpus controleren en indexeren")
    p.add_argument("--check", action="store_true", help="alleen controleren, niets schrijven")
    p.add_argument("--json", action="store_true", help="samenvatting als JSON")
    p.add_argument("--wait", type=float, default=0, help="seconden wachten op een lopende ingest")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="een vraag stellen ('-' leest een vraag per regel)")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "draft", help="conceptantwoord voor de helpdesk (tekst via stdin of bestand)"
    )
    p.add_argument("file", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_draft)

    p = sub.add_parser("eval", help="evaluatie op een vragenbestand (TSV)")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", action="store_true", help="toon de fouten")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "urgency-train",
        help="urgentiedetector trainen en drempels kiezen (gewichten in het pakket)",
    )
    p.add_argument("--train", help="trainingsbestand (standaard het meegeleverde)")
    p.add_argument("--dev", help="kalibratiebestand voor de drempels (standaard het meegeleverde)")
    p.add_argument("--out", help="waar de gewichten heen gaan (standaard assistant/resources/)")
    p.set_defaults(func=cmd_urgency_train)

    p = sub.add_parser(
        "urgency-eval",
        help="urgentiedetector scoren op een bestand (tekst<TAB>niveau<TAB>categorie)",
    )
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", action="store_true", help="toon de fouten")
    p.set_defaults(func=cmd_urgency_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose_log else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except CorpusError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} fout(en) gevonden; er is niets gewijzigd.", file=sys.stderr)
        return exc.exit_code
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Afgebroken. De vorige index blijft in gebruik.", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"Dat lukte niet: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # last resort: a Dutch sentence, the traceback only with -v
        log.debug("unexpected error", exc_info=True)
        print(
            f"Er ging onverwacht iets mis ({type(exc).__name__}). Probeer het opnieuw met -v "
            "voor details, of meld het aan de beheerder.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
