"""The urgency detector with the real model: per category, hard negatives, held-out recall."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.urgency import (
    CATEGORIES,
    DEV_FILE,
    RULES,
    SOFT_CATEGORIES,
    TRAIN_FILE,
    UrgencyDetector,
    UrgencyModel,
    evaluate_urgency,
    read_examples,
    weights_name,
)

EVAL = Path(__file__).parent / "eval"
# The integrator's blind file; point HECHTING_URGENT_HELDOUT elsewhere to score another one.
HELDOUT = Path(os.environ.get("HECHTING_URGENT_HELDOUT", EVAL / "urgent_heldout.tsv"))


@pytest.fixture(scope="module")
def detector(embedder) -> UrgencyDetector:
    return UrgencyDetector(embedder)


# New sentences (in neither labelled file), one or more per category, in the words people use.
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hij zei tegen mij dat het voor iedereen beter is als hij er niet meer is.", "zelfdoding"),
        ("ik wil niet meer leven", "zelfdoding"),
        ("Hoe ga ik het gesprek aan over suïcide met een jongere?", "zelfdoding"),
        ("Ze heeft zichzelf weer gesneden, haar arm zit vol wonden.", "zelfbeschadiging"),
        ("Een cliënt is in elkaar gezakt en ademt niet.", "medisch"),
        ("Een bewoner bedreigt zijn begeleider met een mes.", "geweld"),
        (
            "Ze komt na elk weekend thuis terug met blauwe plekken. Moet ik dit melden?",
            "mishandeling",
        ),
        (
            "Mijn cliënte vertelde dat een begeleider haar in de douche betast.",
            "seksueel_grensoverschrijdend",
        ),
        ("Haar nieuwe vriend laat haar met andere mannen naar bed gaan voor geld.", "uitbuiting"),
    ],
)
def test_each_category_is_recognised_as_urgent(detector, text, category):
    urgency = detector.assess(text)
    assert urgency.level == "urgent", urgency
    assert category in urgency.categories, urgency


@pytest.mark.parametrize(
    "text",
    [
        "Wat is hechting?",
        "Mijn cliënt is boos op zijn moeder.",
        "Hij wil niet meer naar dagbesteding.",
        "Hoe beïnvloedt mishandeling de hechting?",
        "Wat is een veilige hechting?",
        "Hoe kan ik een nieuwe cliënt helpen om te wennen?",
    ],
)
def test_hard_negatives_are_not_urgent(detector, text):
    assert detector.assess(text).level != "urgent"


def test_a_general_question_about_abuse_gets_a_soft_referral(detector):
    urgency = detector.assess("Hoe beïnvloedt mishandeling de hechting?")
    assert urgency.level == "soft" and urgency.categories[0] == "mishandeling"


@pytest.mark.parametrize(
    "text",
    [
        "Hoe vaak komt huiselijk geweld voor in gezinnen met een ouder met een LVB?",
        "Welke signalen van uitbuiting zie je bij jongeren met een beperking?",
    ],
)
def test_a_general_question_without_a_situation_is_soft_not_urgent(detector, text):
    assert detector.assess(text).level == "soft"


def test_every_question_about_suicide_is_urgent_even_a_general_one(detector):
    urgency = detector.assess("Hoe bespreek ik suïcidale gedachten?")
    assert urgency.level == "urgent" and urgency.categories[0] == "zelfdoding"


def test_a_warning_sign_buried_in_a_long_email_is_found_sentence_by_sentence(detector):
    mail = (
        "Beste team,\n\nIk begeleid een man van 50 die naar een andere woning moet. Hij vindt dat "
        "moeilijk en slaapt slecht. Hij heeft een vraag over zijn nieuwe begeleiders. Gisteren zei "
        "hij dat niemand hem zal missen als hij er niet meer is, en hij gaf zijn horloge aan zijn "
        "broer. Hebben jullie informatie over verhuizen en hechting?\n\nMet vriendelijke groet,\nEls"
    )
    urgency = detector.assess(mail)
    assert urgency.level == "urgent" and urgency.categories[0] == "zelfdoding"


def test_the_pipeline_vector_gives_the_same_judgement(detector, embedder):
    text = "Mijn cliënt geeft al zijn spullen weg en zegt dat hij ze niet meer nodig heeft."
    with_vector = detector.assess(text, embedder.embed_query(text))
    assert with_vector.level == detector.assess(text).level == "urgent"
    assert with_vector.probability == pytest.approx(detector.assess(text).probability, abs=1e-3)


def test_violence_by_a_staff_member_adds_the_care_relation(detector):
    urgency = detector.assess("Ik zag dat een collega een bewoner hard in zijn gezicht sloeg.")
    assert urgency.level == "urgent" and "geweld_in_zorg" in urgency.categories


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_has_a_known_category_a_level_and_a_reason(rule):
    assert rule.category in (*CATEGORIES, "direct_gevaar")
    assert rule.level in ("urgent", "soft") and len(rule.reason) > 20


def test_the_labelled_files_are_separate_and_large_enough():
    train, dev = read_examples(TRAIN_FILE), read_examples(DEV_FILE)
    assert len(train) >= 300 and len(dev) >= 100
    assert not {e.text for e in train} & {e.text for e in dev}
    assert {e.category for e in train if e.level == "urgent"} == set(CATEGORIES)


def test_a_malformed_line_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("ok\turgent\tzelfdoding\nkapot\turgent\tonbekend\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:2: category 'onbekend'"):
        read_examples(bad)


def test_packaged_weights_exist_for_the_default_model(embedder):
    from assistant.urgency import RESOURCES

    model = UrgencyModel.load(RESOURCES / weights_name(embedder.name))
    assert model.embedding_model == embedder.name
    assert 0 < model.urgent_threshold < 1 and 0 < model.soft_threshold < 1


def test_another_model_trains_once_and_caches_its_weights(minilm, tmp_path):
    # A small slice of the labelled files keeps this test quick; the mechanism is the same.
    def head(path: Path, n: int) -> Path:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
        out = tmp_path / path.name
        out.write_text("\n".join(lines[::n]) + "\n", encoding="utf-8")
        return out

    files = {"train_file": head(TRAIN_FILE, 6), "dev_file": head(DEV_FILE, 6)}
    detector = UrgencyDetector(minilm, cache_dir=tmp_path, **files)
    urgency = detector.assess("Een cliënt is bewusteloos en ademt niet.")
    assert urgency.level == "urgent" and any(r.startswith("rule") for r in urgency.reasons)
    assert 0 <= urgency.probability <= 1  # the trained classifier ran as well
    cached = tmp_path / weights_name(minilm.name)
    assert UrgencyModel.load(cached).embedding_model == minilm.name
    again = UrgencyDetector(minilm, cache_dir=tmp_path, train_file=tmp_path / "absent.tsv")
    assert again.model.urgent_threshold == detector.model.urgent_threshold  # loaded, not trained


def test_dev_file_recall_is_complete(detector):
    report = evaluate_urgency(detector, DEV_FILE)
    assert report.urgent_recall == 1.0, [
        m for m in report.misses if m.expected.startswith("urgent")
    ]
    # General questions touching abuse, violence or exploitation all get their referral line.
    soft = [c for c in report.categories if c.name in SOFT_CATEGORIES]
    assert all(c.referred == c.soft for c in soft), soft


@pytest.mark.skipif(
    not HELDOUT.exists(),
    reason=f"no held-out urgency file at {HELDOUT} (the integrator's blind set; "
    "set HECHTING_URGENT_HELDOUT to score another file)",
)
def test_held_out_urgent_recall_is_complete(detector):
    report = evaluate_urgency(detector, HELDOUT)
    missed = [
        m.text
        for m in report.misses
        if m.expected.startswith("urgent") and not m.got.startswith("urgent")
    ]
    assert report.urgent_recall == 1.0, missed
