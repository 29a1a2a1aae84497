"""Server mode: the same ingest and answers against a real `chroma run` server."""

from __future__ import annotations

import pytest
from chroma_server import ChromaServer, free_port
from conftest import make_settings

from assistant.errors import StoreUnavailableError
from assistant.pipeline import Assistant, build_ingestor

pytestmark = pytest.mark.server


@pytest.fixture()
def server(tmp_path):
    srv = ChromaServer(tmp_path / "chroma").start()
    yield srv
    srv.stop()


def test_ingest_and_answer_through_a_chroma_server(server, mini_corpus, tmp_path, embedder):
    settings = make_settings(
        mini_corpus, tmp_path / "data", chroma_host="127.0.0.1", chroma_port=server.port
    )
    report = build_ingestor(settings, embedder, mini_corpus.parent).run()
    assert len(report.added) == 7
    assert not (tmp_path / "data" / "index").exists()  # nothing stored locally
    again = build_ingestor(settings, embedder, mini_corpus.parent).run()
    assert again.nothing_changed and again.chunks_embedded == 0
    answer = Assistant.from_settings(settings, embedder).ask(
        "Is er een app die helpt signalen te herkennen?"
    )
    assert answer.kind == "answer" and answer.sources[0].id == "hisense-app"


def test_a_stopped_server_gives_a_dutch_error_and_recovers_when_it_returns(
    server, mini_corpus, tmp_path, embedder
):
    settings = make_settings(
        mini_corpus, tmp_path / "data", chroma_host="127.0.0.1", chroma_port=server.port
    )
    build_ingestor(settings, embedder, mini_corpus.parent).run()
    assistant = Assistant.from_settings(settings, embedder)
    assert assistant.ask("Wat is hechting?").kind == "answer"
    server.stop()
    with pytest.raises(StoreUnavailableError, match="De kennisbank is nu niet bereikbaar") as e:
        assistant.ask("Wat is veilige gehechtheid?")
    assert f"Chroma-server op 127.0.0.1:{server.port} antwoordt niet" in e.value.details
    server.start()
    assert assistant.ask("Wat is veilige gehechtheid?").kind == "answer"


def test_an_unreachable_server_is_reported_at_ingest(mini_corpus, tmp_path, embedder):
    settings = make_settings(
        mini_corpus, tmp_path / "data", chroma_host="127.0.0.1", chroma_port=free_port()
    )
    with pytest.raises(StoreUnavailableError, match="niet bereikbaar"):
        build_ingestor(settings, embedder, mini_corpus.parent).run()
