"""Faults found by the fault-and-abuse probe (issue 11): each test failed before its fix."""

from __future__ import annotations

import os
import threading

import pytest
from chroma_server import free_port
from conftest import make_settings
from test_ingest import run_cli

from assistant.corpus import load_corpus, parse_document
from assistant.errors import CorpusError, StoreUnavailableError
from assistant.pipeline import Assistant, build_ingestor, clean
from assistant.store import Store

DOC = "---\nid: {id}\ntitle: {title}\ntype: pagina\n---\n\n{body}\n"


def problems_for(corpus) -> list[str]:
    with pytest.raises(CorpusError) as info:
        load_corpus(corpus, corpus.parent, "contact-expertiseteam")
    return [str(p) for p in info.value.problems]


# -- 2. only regular files inside the corpus are read ------------------------------------------
def test_a_symlink_to_a_file_outside_the_corpus_is_a_check_error_and_never_read(
    mini_corpus, tmp_path
):
    secret = tmp_path / "geheim.md"
    secret.write_text(DOC.format(id="geheim", title="Geheim", body="Wachtwoord 1234"), "utf-8")
    (mini_corpus / "pagina" / "link.md").symlink_to(secret)
    (found,) = problems_for(mini_corpus)
    assert found.startswith("corpus/pagina/link.md:")
    assert "symbolische link" in found and "Wachtwoord" not in found


def test_a_symlinked_folder_and_a_dangling_link_are_check_errors(mini_corpus, tmp_path):
    outside = tmp_path / "buiten"
    outside.mkdir()
    (outside / "x.md").write_text(DOC.format(id="x", title="X", body="Buiten."), "utf-8")
    (mini_corpus / "extra").symlink_to(outside, target_is_directory=True)
    (mini_corpus / "pagina" / "weg.md").symlink_to(tmp_path / "bestaat-niet.md")
    found = problems_for(mini_corpus)
    assert len(found) == 2 and all("symbolische link" in p for p in found)
    assert found[0].startswith("corpus/extra:") and found[1].startswith("corpus/pagina/weg.md:")


def test_a_fifo_in_the_corpus_is_a_check_error_and_does_not_block(mini_corpus):
    os.mkfifo(mini_corpus / "pagina" / "pijp.md")
    (found,) = problems_for(mini_corpus)
    assert found.startswith("corpus/pagina/pijp.md:") and "geen gewoon bestand" in found


def test_a_file_that_vanishes_between_listing_and_reading_is_reported(tmp_path):
    doc, problems = parse_document(tmp_path / "weg.md", "corpus/weg.md")
    assert doc is None
    assert [str(p) for p in problems] == [
        "corpus/weg.md:1: bestand is niet (meer) leesbaar; is het verplaatst of verwijderd?"
    ]


def test_the_cli_check_names_the_symlink(mini_corpus, tmp_path):
    (mini_corpus / "pagina" / "link.md").symlink_to(mini_corpus / "pagina" / "app.md")
    env = {"HECHTING_CORPUS_DIR": str(mini_corpus), "HECHTING_DATA_DIR": str(tmp_path / "d")}
    result = run_cli("ingest.py", "--check", env_extra=env)
    assert result.returncode == 1
    assert "corpus/pagina/link.md" in result.stderr and "symbolische link" in result.stderr


# -- 8. YAML errors in Dutch at the right line; control characters ----------------------------
@pytest.mark.parametrize(
    ("front", "line", "dutch"),
    [
        ("id: x\ntitle: Hechting: wat is het\ntype: pagina", 3, "dubbele punt"),
        ("id: x\ntitle: [onaf\ntype: pagina", 3, "lijst"),
        ("id: x\ntitle: \"Open\ntype: pagina\nurl: ''", 3, "aanhalingsteken"),
        ("id: x\ntitle Geen dubbele punt\ntype: pagina", 3, "dubbele punt"),
        ("id: x\ntitle:\tT\ntype: pagina", 3, "tab"),
        ("id: x\ntitle: 'a'b\ntype: pagina", 3, "aanhalingstekens"),
    ],
)
def test_yaml_errors_are_dutch_and_point_at_the_wrong_line(mini_corpus, front, line, dutch):
    (mini_corpus / "pagina" / "x.md").write_text(f"---\n{front}\n---\n\nTekst.\n", "utf-8")
    (found,) = problems_for(mini_corpus)
    assert found.startswith(f"corpus/pagina/x.md:{line}: ongeldige YAML in de front matter: ")
    assert dutch in found
    for english in ("mapping", "expected", "scanning", "found", "stream", "token"):
        assert english not in found


@pytest.mark.parametrize(
    ("char", "where"),
    [("\x1b", "body"), ("\x07", "body"), ("\x00", "body"), ("\u202e", "body"), ("\x1b", "title")],
)
def test_control_characters_are_a_check_error_with_the_line(mini_corpus, char, where):
    title = f"Titel{char}[31m" if where == "title" else "Titel"
    body = f"Eerste regel.\nTweede{char}[2J regel." if where == "body" else "Tekst."
    (mini_corpus / "pagina" / "x.md").write_text(DOC.format(id="x", title=title, body=body))
    (found,) = problems_for(mini_corpus)
    line = 8 if where == "body" else 3
    assert found.startswith(f"corpus/pagina/x.md:{line}: ") and "stuurteken" in found
    assert char not in found


# -- 5. invalid text is cleaned at the door ----------------------------------------------------
@pytest.mark.parametrize(
    "question", ["wat is \ud800 hechting?", "\udcff\udcfe", "hechting\udfff bij kinderen"]
)
def test_lone_surrogates_are_cleaned_and_answered(seed_assistant, question):
    cleaned = clean(question)
    cleaned.encode("utf-8")  # would raise on a lone surrogate
    answer = seed_assistant.ask(question)
    assert answer.kind in {"answer", "no_answer", "urgent", "conversation"}
    assert answer.contact in answer.answer


def test_invalid_utf8_on_stdin_is_cleaned_and_the_batch_goes_on(mini_corpus, tmp_path):
    env = {"HECHTING_CORPUS_DIR": str(mini_corpus), "HECHTING_DATA_DIR": str(tmp_path / "d")}
    assert run_cli("ingest.py", env_extra=env).returncode == 0
    import subprocess
    import sys

    from conftest import ROOT

    lines = b"wat is \xff\xfe hechting?\nwat is \xed\xa0\x80 hechting?\nWat is hechting?\n"
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "-"],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        input=lines,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    out = result.stdout.decode("utf-8").strip().splitlines()
    assert len(out) == 3 and all('"kind": "answer"' in line for line in out)


# -- 5. a reload only when the active generation changed ---------------------------------------
def _loads(retriever) -> list[str]:
    loaded: list[str] = []
    read = retriever.store.read

    def counting(collection, *args, **kwargs):
        loaded.append(collection.name)
        return read(collection, *args, **kwargs)

    retriever.store.read = counting
    return loaded


def test_an_error_while_answering_does_not_reload_an_unchanged_index(
    mini_corpus, tmp_path, embedder
):
    settings = make_settings(mini_corpus, tmp_path / "data")
    build_ingestor(settings, embedder, mini_corpus.parent).run()
    retriever = Assistant.from_settings(settings, embedder).retriever
    retriever.search("Wat is hechting?")
    loads = _loads(retriever)

    def broken(*args, **kwargs):
        raise ValueError("kapotte invoer")

    retriever.store.query = broken
    with pytest.raises(ValueError):
        retriever.search("Wat is hechting?")
    assert loads == []


def test_one_swap_under_concurrent_questions_reloads_the_index_once(
    mini_corpus, tmp_path, embedder
):
    settings = make_settings(mini_corpus, tmp_path / "data")
    ingestor = build_ingestor(settings, embedder, mini_corpus.parent)
    ingestor.run()
    retriever = Assistant.from_settings(settings, embedder).retriever
    retriever.check_seconds = 3600  # only a failing query may trigger a reload
    retriever.search("Wat is hechting?")
    first = retriever.snapshot.name
    for n in range(2):  # two swaps: the loaded generation is cleaned up
        (mini_corpus / "pagina" / "teller.md").write_text(
            DOC.format(id="teller", title="Teller", body=f"Versie {n}."), "utf-8"
        )
        ingestor.run()
    assert first not in ingestor.store.generations()
    loads = _loads(retriever)
    barrier, results, errors = threading.Barrier(6), [], []

    def ask():
        barrier.wait()
        try:
            results.append(retriever.search("Wat is hechting?").passages[0].doc_id)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == ["hechting"] * 6
    assert loads == [ingestor.store.pointer()["active"]]


# -- 7. errors: a short Dutch message for users, the details for the log -----------------------
def test_an_unreachable_chroma_server_gives_a_short_message_and_keeps_the_details():
    port = free_port()
    store = Store.from_location(None, "127.0.0.1", port, "hechting")
    with pytest.raises(StoreUnavailableError) as caught:
        store.pointer()
    message = str(caught.value)
    assert "niet bereikbaar" in message
    for internal in ("127.0.0.1", str(port), "chroma run", "HECHTING_"):
        assert internal not in message
    assert f"127.0.0.1:{port}" in caught.value.details and "chroma run" in caught.value.details


def test_the_cli_shows_the_details_and_with_v_the_traceback(mini_corpus, tmp_path):
    env = {
        "HECHTING_CORPUS_DIR": str(mini_corpus),
        "HECHTING_DATA_DIR": str(tmp_path / "d"),
        "HECHTING_CHROMA_HOST": "127.0.0.1",
        "HECHTING_CHROMA_PORT": str(free_port()),
    }
    plain = run_cli("-m", "assistant", "ask", "Wat is hechting?", env_extra=env)
    assert plain.returncode == 3
    assert "niet bereikbaar" in plain.stderr and "Traceback" not in plain.stderr
    assert env["HECHTING_CHROMA_PORT"] in plain.stderr  # the operator gets the details
    verbose = run_cli("-m", "assistant", "-v", "ask", "Wat is hechting?", env_extra=env)
    assert verbose.returncode == 3 and "Traceback" in verbose.stderr


def test_an_unexpected_error_with_v_prints_its_traceback(monkeypatch, capsys):
    import assistant.__main__ as cli

    def boom(args):
        raise RuntimeError("interne fout op host-x:1234")

    monkeypatch.setattr(cli, "cmd_ingest", boom)
    assert cli.main(["ingest"]) == 1
    plain = capsys.readouterr().err
    assert "Er ging onverwacht iets mis" in plain and "Traceback" not in plain
    assert cli.main(["-v", "ingest"]) == 1
    verbose = capsys.readouterr().err
    assert "Traceback" in verbose and "interne fout op host-x:1234" in verbose
