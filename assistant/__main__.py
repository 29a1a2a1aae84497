"""Command line: ingest, ask, draft, eval. Thin: the library does the work."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import traceback
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


def _contact_warnings(docs, contact_id: str) -> list[str]:
    """Dutch warnings about contact details that are still placeholders."""
    from .contact import parse_contact, placeholder_warning

    contact = next((d for d in docs if d.id == contact_id), None)
    if contact is None:
        return []
    warning = placeholder_warning(parse_contact(contact.body, contact.title), contact.path)
    return [warning] if warning else []


def cmd_ingest(args) -> int:
    from .pipeline import build_ingestor

    settings = _settings()
    ingestor = build_ingestor(settings)
    if args.check:
        docs = ingestor.check()
        warnings = _contact_warnings(docs, settings.contact_id)
        if args.json:
            print(json.dumps({"ok": True, "documents": len(docs), "warnings": warnings}))
        else:
            print(f"De corpus is in orde: {len(docs)} documenten.")
            for warning in warnings:
                print(warning, file=sys.stderr)
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


def _stdin_lines():
    """Lines from stdin as text; invalid UTF-8 becomes U+FFFD instead of stopping the batch."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="replace")


def _questions(args):
    if args.question == ["-"]:
        for line in _stdin_lines():
            if line.strip():
                yield line.rstrip("\r\n")
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
    from .mail import is_eml

    raw = sys.stdin.buffer.read() if args.file in (None, "-") else Path(args.file).read_bytes()
    # A message source (.eml) is parsed as bytes: its own headers name the charsets.
    eml = is_eml(raw) or str(args.file or "").lower().endswith(".eml")
    text = raw if eml else raw.decode("utf-8", errors="replace")
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
    ranker = assistant.retriever.ranker
    if args.own_examples_out:
        assistant.cache = None  # answers depend on which examples vote
    for file in args.files:
        if ranker is not None and args.own_examples_out:
            ranker.holding_out(file)  # a training file: its own questions do not vote
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


def cmd_draft_eval(args) -> int:
    from .evaluation import evaluate_drafts

    settings = _settings()
    assistant = _assistant(settings)
    assistant.ask("warm-up")  # load the model before the clock starts
    root = Path(settings.corpus_dir).resolve().parent
    for folder in args.folders:
        report = evaluate_drafts(assistant, Path(folder), root)
        if args.json:
            print(_dump(report))
            continue
        if args.verbose:
            for r in report.results:
                problems = []
                if r.sources_right is False:
                    problems.append(f"bron niet in top 3 ({', '.join(r.cited) or 'geen'})")
                if r.expected_kind != r.kind:
                    problems.append(f"soort {r.kind}, verwacht {r.expected_kind}")
                if not r.greeting_right:
                    problems.append("aanhef")
                if not r.formality_right:
                    problems.append("u/je")
                if r.leaked:
                    problems.append(f"{len(r.leaked)} persoonsgegeven(s) gelekt")
                if r.markdown:
                    problems.append("Markdown")
                if problems:
                    print(f"  fout: {r.file}: {'; '.join(problems)}")
        print(f"== {folder}")
        print(report.table())


def cmd_calibrate(args) -> int:
    from .answerability import resource_path
    from .calibration import calibrate, follow_up_scope, follow_ups
    from .evaluation import read_cases
    from .followup import FollowUpJudge
    from .followup import resource_path as follow_up_path
    from .followup_scope import resource_path as scope_path
    from .ranking import resource_path as ranking_path

    settings = _settings()
    assistant = _assistant(settings)
    train = {f: read_cases(Path(f)) for f in args.files}
    heldout = {f: read_cases(Path(f)) for f in args.heldout}
    root = Path(settings.corpus_dir).resolve().parent
    model, reports, ranker = calibrate(
        assistant, train, heldout, settings.embedding_model, None if args.no_ranking else root
    )
    if ranker is not None:
        print(
            f"Rangschikking voor {settings.embedding_model}: {ranker.figures['questions']} vragen"
        )
        for file, fig in ranker.figures["left_out_file"].items():
            print(
                f"  {file} (zonder dit bestand gefit): juist@1 {fig['right_at_1']:.3f}, "
                f"juist@3 {fig['right_at_3']:.3f} (van {fig['questions']})"
            )
    f = model.figures
    print(f"Antwoordbaarheid voor {settings.embedding_model}: {f['training_questions']} vragen")
    print(
        f"  kruisvalidatie: onterecht geweigerd {f['cv_false_refusals']:.3f}, "
        f"buiten bereik geweigerd {f['cv_out_of_scope_refused']:.3f}, drempel {model.threshold}"
    )
    for r in reports:
        print(
            f"  {r.file}: onterecht geweigerd {r.false_refusals:.3f} (van {r.answerable}), "
            f"buiten bereik geweigerd {r.out_of_scope_refused:.3f} (van {r.out_of_scope})"
        )
    assistant.router.judge.model = model
    reading = follow_ups(assistant, train, settings.embedding_model)
    if reading is None:
        print(
            "Vervolgvragen: te weinig gelabelde vervolgvragen en andere vragen om te fitten; "
            "de vervolgwoorden blijven beslissen."
        )
    else:
        g = reading.figures
        print(
            f"Vervolgvragen: {g['follow_ups']} vervolgvragen, {g['other_questions']} andere "
            f"vragen; zonder eigen bestand gefit: "
            f"{g['left_out_file_follow_ups_read_together']:.3f} van de vervolgvragen samen met de "
            f"vorige vraag gelezen, {g['left_out_file_others_read_alone']:.3f} van de andere "
            f"vragen los"
        )
    if reading is not None:
        assistant.follow_ups = FollowUpJudge(reading, assistant.follow_ups.stopwords)
    scope = follow_up_scope(assistant, train, settings.embedding_model)
    if scope is None:
        print("Vervolgvragen buiten bereik: te weinig gelabelde vervolgvragen om te fitten.")
    else:
        g = scope.figures
        print(
            f"Vervolgvragen buiten bereik: {g['answerable_follow_ups']} beantwoordbare en "
            f"{g['out_of_scope_follow_ups']} buiten bereik (samen gelezen, samen antwoordbaar); "
            f"zonder eigen bestand gefit: {g['left_out_file_answerable_refused']:.3f} van de "
            f"beantwoordbare geweigerd, {g['left_out_file_out_of_scope_refused']:.3f} van die "
            f"buiten bereik"
        )
    if not args.dry_run:
        path = resource_path(settings.embedding_model)
        model.save(path)
        print(f"Opgeslagen in {path}")
        if ranker is not None:
            ranker.save(ranking_path(settings.embedding_model))
            print(f"Opgeslagen in {ranking_path(settings.embedding_model)}")
        if reading is not None:
            reading.save(follow_up_path(settings.embedding_model))
            print(f"Opgeslagen in {follow_up_path(settings.embedding_model)}")
        if scope is not None:
            scope.save(scope_path(settings.embedding_model))
            print(f"Opgeslagen in {scope_path(settings.embedding_model)}")
    return 0


def cmd_urgency_train(args) -> int:
    from .embeddings import make_embedder
    from .urgency import RESOURCES, train, weights_name

    settings = _settings()
    embedder = make_embedder(settings.embedding_model)
    model = train(
        embedder,
        [Path(f) for f in args.train] if args.train else None,
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    target = Path(args.out) if args.out else RESOURCES / weights_name(embedder.name)
    model.save(target)
    print(
        f"Gewichten opgeslagen in {target} ({model.examples} voorbeelden uit {model.trained_on}).\n"
        f"Drempels: urgent {model.urgent_threshold}, zin in een langere tekst "
        f"{model.part_threshold}, verwijsregel {model.line_threshold}, algemene vraag "
        f"{model.soft_threshold}."
    )
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
    parser.add_argument(
        "-v", "--verbose-log", action="store_true", help="meer logregels en bij een fout de details"
    )
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

    p = sub.add_parser("draft-eval", help="evaluatie van helpdeskconcepten op een map e-mails")
    p.add_argument("folders", nargs="+", help="map(pen) met e-mails en manifest.tsv")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", action="store_true", help="toon de fouten per e-mail")
    p.set_defaults(func=cmd_draft_eval)

    p = sub.add_parser("eval", help="evaluatie op een vragenbestand (TSV)")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verbose", action="store_true", help="toon de fouten")
    p.add_argument(
        "--own-examples-out",
        action="store_true",
        help="voor een trainingsbestand: de voorbeeldvragen uit dat bestand stemmen niet mee "
        "(geef het pad zoals bij calibrate, bv. tests/eval/unseen_questions.tsv)",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="antwoordbaarheid ijken op gelabelde vragen (TSV)")
    p.add_argument("files", nargs="+", help="vragenbestanden om op te ijken")
    p.add_argument("--heldout", nargs="*", default=[], help="apart gehouden vragen: alleen meten")
    p.add_argument("--dry-run", action="store_true", help="niets opslaan")
    p.add_argument(
        "--no-ranking", action="store_true", help="alleen antwoordbaarheid, geen rangschikking"
    )
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "urgency-train",
        help="urgentiedetector trainen en drempels kiezen (gewichten in het pakket)",
    )
    p.add_argument(
        "--train",
        nargs="*",
        help="trainingsbestanden (standaard assistant/resources/urgency-train*.tsv)",
    )
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
        if exc.details:  # the operator at a terminal may see what a caregiver never sees
            print(f"Details: {exc.details}", file=sys.stderr)
        _traceback(args)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Afgebroken. De vorige index blijft in gebruik.", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"Dat lukte niet: {exc}", file=sys.stderr)
        _traceback(args)
        return 2
    except Exception as exc:  # last resort: a Dutch sentence, the traceback only with -v
        print(
            f"Er ging onverwacht iets mis ({type(exc).__name__}). Probeer het opnieuw met -v "
            "voor details, of meld het aan de beheerder.",
            file=sys.stderr,
        )
        _traceback(args)
        return 1


def _traceback(args) -> None:
    """With -v, the traceback of the error being handled goes to stderr."""
    if args.verbose_log:
        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
