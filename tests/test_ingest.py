"""Ingest: incremental by content hash, safe when interrupted, one at a time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, make_settings
from filelock import FileLock

from assistant.embeddings import Embedder, make_embedder
from assistant.errors import CorpusError, IngestBusyError, ModelLoadError
from assistant.pipeline import Assistant, build_ingestor


def ingestor_for(corpus, data, embedder):
    return build_ingestor(make_settings(corpus, data), embedder, corpus.parent)


def chunk_ids(ingestor) -> set[str]:
    return set(ingestor.store.read(ingestor.store.active()).ids)


def test_first_ingest_adds_everything_and_a_rerun_embeds_nothing(mini_corpus, tmp_path, embedder):
    ing = ingestor_for(mini_corpus, tmp_path / "data", embedder)
    first = ing.run()
    assert len(first.added) == 7 and first.chunks_embedded == first.chunks_total > 0
    again = ing.run()
    assert again.nothing_changed and again.chunks_embedded == 0
    assert len(again.unchanged) == 7
    assert again.collection == first.collection  # nothing was rewritten


def test_adding_changing_and_removing_touch_exactly_those_chunks(mini_corpus, tmp_path, embedder):
    ing = ingestor_for(mini_corpus, tmp_path / "data", embedder)
    ing.run()
    before = chunk_ids(ing)
    (mini_corpus / "pagina" / "nieuw.md").write_text(
        "---\nid: nieuw\ntitle: Nieuw\ntype: pagina\n---\n\nEen nieuwe tekst over verhuizen.\n",
        encoding="utf-8",
    )
    veilig = mini_corpus / "pagina" / "veilig.md"
    veilig.write_text(veilig.read_text(encoding="utf-8") + "\nEen extra zin.\n", encoding="utf-8")
    (mini_corpus / "pagina" / "app.md").unlink()
    report = ing.run()
    assert (report.added, report.changed, report.removed) == (
        ["nieuw"],
        ["veilig"],
        ["hisense-app"],
    )
    assert report.chunks_embedded == 2
    after = chunk_ids(ing)
    gone, new = before - after, after - before
    assert {c.split(":")[0] for c in gone} == {"veilig", "hisense-app"}
    assert {c.split(":")[0] for c in new} == {"veilig", "nieuw"}


def test_a_validation_error_writes_nothing_and_the_old_index_keeps_answering(
    mini_corpus, tmp_path, embedder
):
    settings = make_settings(mini_corpus, tmp_path / "data")
    ing = build_ingestor(settings, embedder, mini_corpus.parent)
    ing.run()
    active = ing.store.pointer()["active"]
    (mini_corpus / "pagina" / "kapot.md").write_text(
        "---\nid: kapot\ntitle: [\n---\nTekst\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r"corpus/pagina/kapot.md:3: ongeldige YAML"):
        ing.run()
    assert ing.store.pointer()["active"] == active
    answer = Assistant.from_settings(settings, embedder).ask("Wat is hechting?")
    assert answer.kind == "answer" and answer.sources[0].id == "hechting"


class InterruptingEmbedder:
    """The real model, interrupted (Ctrl-C) after the first batch."""

    def __init__(self, real: Embedder):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def embed_documents(self, texts, progress=None):
        self.real.embed_documents(texts[:1], progress)
        raise KeyboardInterrupt


def test_an_interrupted_ingest_leaves_the_previous_index_serving(mini_corpus, tmp_path, embedder):
    settings = make_settings(mini_corpus, tmp_path / "data")
    build_ingestor(settings, embedder, mini_corpus.parent).run()
    hechting = mini_corpus / "pagina" / "hechting.md"
    hechting.write_text(
        hechting.read_text(encoding="utf-8").replace("duurzame", "blijvende"), encoding="utf-8"
    )
    broken = InterruptingEmbedder(embedder)
    ing = build_ingestor(settings, broken, mini_corpus.parent)
    generations = ing.store.generations()
    with pytest.raises(KeyboardInterrupt):
        ing.run()
    assert ing.store.generations() == generations
    answer = Assistant.from_settings(settings, embedder).ask("Wat is hechting?")
    assert "duurzame band" in answer.answer


def test_an_interruption_during_the_swap_drops_the_half_written_generation(
    mini_corpus, tmp_path, embedder, monkeypatch
):
    settings = make_settings(mini_corpus, tmp_path / "data")
    ing = build_ingestor(settings, embedder, mini_corpus.parent)
    ing.run()
    pointer, generations = ing.store.pointer(), ing.store.generations()
    (mini_corpus / "pagina" / "app.md").unlink()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ing.store, "activate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ing.run()
    assert ing.store.pointer() == pointer
    assert ing.store.generations() == generations


def test_a_second_ingest_at_the_same_time_is_refused_with_a_clear_message(
    mini_corpus, tmp_path, embedder
):
    data = tmp_path / "data"
    ing = ingestor_for(mini_corpus, data, embedder)
    data.mkdir(parents=True, exist_ok=True)
    with FileLock(str(data / "ingest.lock")):
        with pytest.raises(IngestBusyError, match="Er loopt al een ingest"):
            ing.run()
    assert ing.store.pointer() == {}


def test_old_generations_are_cleaned_up_but_the_previous_one_is_kept(
    mini_corpus, tmp_path, embedder
):
    ing = ingestor_for(mini_corpus, tmp_path / "data", embedder)
    for n in range(3):
        (mini_corpus / "pagina" / "teller.md").write_text(
            f"---\nid: teller\ntitle: Teller\ntype: pagina\n---\n\nVersie {n} van de tekst.\n",
            encoding="utf-8",
        )
        ing.run()
    pointer = ing.store.pointer()
    assert set(ing.store.generations()) == {pointer["active"], pointer["previous"]}


def test_an_unloadable_model_gives_a_clear_message_and_never_downloads(tmp_path):
    with pytest.raises(
        ModelLoadError, match="kon niet worden geladen. Er wordt nooit iets gedownload"
    ):
        make_embedder(str(tmp_path / "bestaat-niet")).embed_query("hechting")
    with pytest.raises(ModelLoadError, match="HECHTING_EMBEDDING_MODEL"):
        make_embedder("sentence-transformers/een-model-dat-niet-in-de-cache-staat").embed_query("x")


def test_the_seed_corpus_ingests_with_every_document(seed_report):
    assert (
        len(seed_report.added)
        == seed_report.documents
        == len(list((ROOT / "corpus").rglob("*.md"))) - 1
    )  # all but README.md
    assert seed_report.chunks_total >= 30


def test_chunks_fit_the_model_window(seed_assistant, embedder):
    snap = seed_assistant.retriever.snapshot
    longest = max(
        embedder.count_tokens(f"{m['title']}\n{t}")
        for m, t in zip(snap.chunks.metadatas, snap.chunks.texts, strict=True)
    )
    assert longest <= embedder.max_tokens


def run_cli(*args, env_extra=None, input_text=None):
    import os

    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=input_text,
        timeout=300,
    )


def test_ingest_check_cli_reports_errors_in_dutch_with_exit_code_1(mini_corpus, tmp_path):
    (mini_corpus / "pagina" / "kapot.md").write_text(
        "---\nid: kapot\ntype: boek\n---\n\nTekst\n", encoding="utf-8"
    )
    result = run_cli(
        "ingest.py",
        "--check",
        env_extra={
            "HECHTING_CORPUS_DIR": str(mini_corpus),
            "HECHTING_DATA_DIR": str(tmp_path / "d"),
        },
    )
    assert result.returncode == 1
    assert "kapot.md:1: ontbrekend veld 'title'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d" / "index").exists()


def test_ingest_cli_prints_a_json_summary(mini_corpus, tmp_path):
    env = {"HECHTING_CORPUS_DIR": str(mini_corpus), "HECHTING_DATA_DIR": str(tmp_path / "d")}
    first = run_cli("ingest.py", "--json", env_extra=env)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert len(summary["added"]) == 7 and summary["chunks_embedded"] > 0
    second = json.loads(run_cli("-m", "assistant", "ingest", "--json", env_extra=env).stdout)
    assert second["chunks_embedded"] == 0 and len(second["unchanged"]) == 7
    assert second["summary"].startswith("toegevoegd 0, gewijzigd 0, verwijderd 0, ongewijzigd 7")


def write_teller(corpus, text: str) -> None:
    (corpus / "pagina" / "teller.md").write_text(
        f"---\nid: teller\ntitle: Teller\ntype: pagina\n---\n\n{text}\n", encoding="utf-8"
    )


def active_texts(store) -> str:
    return "\n".join(store.read(store.active()).texts)


def test_an_ingest_waiting_for_the_lock_reads_the_corpus_after_it_gets_it(
    mini_corpus, tmp_path, embedder, monkeypatch
):
    import threading

    import assistant.index

    data = tmp_path / "data"
    data.mkdir()
    write_teller(mini_corpus, "Versie oud.")
    ing = ingestor_for(mini_corpus, data, embedder)
    waiting = threading.Event()

    class SpyLock(FileLock):
        def acquire(self, *args, **kwargs):
            waiting.set()
            return super().acquire(*args, **kwargs)

    monkeypatch.setattr(assistant.index, "FileLock", SpyLock)
    held = FileLock(str(data / "ingest.lock"))
    held.acquire()
    thread = threading.Thread(target=ing.run, kwargs={"wait_seconds": 120})
    thread.start()
    try:
        assert waiting.wait(60)
        write_teller(mini_corpus, "Versie nieuw.")  # saved while the ingest waits
    finally:
        held.release()
        thread.join()
    assert "Versie nieuw." in active_texts(ing.store)
    assert "Versie oud." not in active_texts(ing.store)


def test_an_index_never_goes_back_to_an_older_corpus(mini_corpus, tmp_path, embedder):
    """Another ingest (say, from a second machine on one Chroma server) swaps in a newer
    corpus while this one is writing an older one: this one must not win."""
    write_teller(mini_corpus, "Versie 1.")
    data = tmp_path / "data"
    slow = ingestor_for(mini_corpus, data, embedder)
    other = ingestor_for(mini_corpus, data, embedder)
    other.lock_path = tmp_path / "other-machine.lock"
    add = slow.store.add
    calls = []

    def add_while_another_ingest_finishes(collection, chunks):
        add(collection, chunks)
        if not calls:
            calls.append(1)
            write_teller(mini_corpus, "Versie 2.")
            other.run()

    slow.store.add = add_while_another_ingest_finishes
    slow.run()
    assert "Versie 2." in active_texts(slow.store)
    assert "Versie 1." not in active_texts(slow.store)


def segment_folders(data) -> list[str]:
    return sorted(p.name for p in (data / "index").iterdir() if p.is_dir())


def test_repeated_ingests_keep_two_generations_and_their_folders_on_disk(
    mini_corpus, tmp_path, embedder
):
    data = tmp_path / "data"
    ing = ingestor_for(mini_corpus, data, embedder)
    for n in range(4):
        write_teller(mini_corpus, f"Versie {n}.")
        ing.run()
    # A killed ingest leaves a generation that was never activated.
    orphan = ing.store.new_generation()
    ing.store.add(orphan, ing.store.read(ing.store.active(), with_embeddings=True))
    assert len(segment_folders(data)) > 4
    report = ing.run()  # nothing changed: the clean-up still runs
    assert report.nothing_changed
    pointer = ing.store.pointer()
    assert set(ing.store.generations()) == {pointer["active"], pointer["previous"]}
    # Two generations, each a collection of chunks and one of sentence vectors.
    assert len(segment_folders(data)) == 4
    assert set(segment_folders(data)) <= ing.store.segment_ids()
    answer = Assistant.from_settings(make_settings(mini_corpus, data), embedder).ask(
        "Wat is hechting?"
    )
    assert answer.kind == "answer"
