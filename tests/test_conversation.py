"""Greetings, thanks and questions about the assistant get a short reply, not a search."""

import pytest

from assistant.compose import CONVERSATION
from assistant.conversation import (
    MAX_MISROUTED,
    RESOURCES,
    ConversationDetector,
    ConversationModel,
    read_rows,
    train,
    weights_name,
)


@pytest.mark.parametrize(
    ("message", "label"),
    [("Dank je wel!", "dank"), ("hoi", "groet"), ("wat kun je eigenlijk?", "over_assistent")],
)
def test_a_conversational_turn_gets_its_own_reply_and_the_contact(seed_assistant, message, label):
    answer = seed_assistant.ask(message)
    assert answer.kind == "conversation"
    assert answer.answer.startswith(CONVERSATION[label])
    assert not answer.sources
    assert answer.contact and answer.answer.endswith(answer.contact)


def test_a_question_about_the_assistant_says_what_the_information_covers(seed_assistant):
    answer = seed_assistant.ask("Wie ben jij?")
    assert answer.kind == "conversation"
    assert "Mijn informatie gaat over deze onderwerpen: Wat is hechting, Veilige" in answer.answer


@pytest.mark.parametrize(
    "question",
    ["hoi, wat is hechting?", "Bedankt! Is er ook een app over hechting?", "heb je een boek?"],
)
def test_a_question_with_a_greeting_or_thanks_is_still_answered(seed_assistant, question):
    assert seed_assistant.ask(question).kind == "answer"


def test_urgency_comes_before_conversation(seed_assistant):
    answer = seed_assistant.ask("hoi. ik wil niet meer leven")
    assert answer.kind == "urgent"
    assert "113" in answer.answer


def test_the_packaged_weights_keep_questions_out_of_conversation(embedder):
    model = ConversationModel.load(RESOURCES / weights_name(embedder.name))
    questions = model.figures["rows"] - model.figures["conversational"]
    assert model.figures["loo_questions_misrouted"] <= MAX_MISROUTED * questions
    assert model.figures["loo_recall"] >= 0.85
    rows = sum(len(read_rows(p)) for p in sorted(RESOURCES.glob("conversation-*.tsv")))
    assert rows == model.figures["rows"]  # the weights were fitted on the files as they are


def test_another_backend_trains_its_weights_once_and_caches_them(minilm, tmp_path):
    detector = ConversationDetector(minilm, cache_dir=tmp_path)
    assert detector.turn("Dank je wel!") is not None
    assert detector.turn("Wat is een veilige haven voor een kind?") is None
    assert (tmp_path / weights_name(minilm.name)).is_file()


def test_a_bad_training_row_names_the_file_and_line(tmp_path, embedder):
    bad = tmp_path / "conversation-bad.tsv"
    bad.write_text("hoi\tgroet\nhallo\tgreeting\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"conversation-bad.tsv:2: expected text<TAB>label"):
        train(embedder, [bad])


def test_the_topic_list_names_each_topic_once_and_stays_short_for_a_large_corpus():
    from assistant.compose import MAX_TOPICS, Composer
    from assistant.retrieval import DocumentInfo

    def page(title):
        return DocumentInfo(title.lower().replace(" ", "-"), title, "pagina", "", "", 1, "", "")

    small = Composer.scope(
        [page("Hechting"), page("Wat is hechting?"), page("Veilige gehechtheid")]
    )
    assert small[0].endswith("onderwerpen: Wat is hechting en Veilige gehechtheid.")
    large = Composer.scope([page(f"Onderwerp {n}") for n in range(5000)])
    assert large[0].count(",") == MAX_TOPICS - 1
    assert large[0].endswith(f"en {5000 - MAX_TOPICS} andere onderwerpen.")
