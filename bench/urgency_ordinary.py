"""Write assistant/resources/urgency-train-ordinary.tsv: ordinary text as urgency training data.

The hand-written urgency files hold few of the plain sentences that fill real questions and
e-mails, and the classifier flagged exactly those. This file adds them, labelled from what is
already labelled elsewhere: every sentence of the corpus (not the referral pages), every
question of the training question files that is not urgent, every conversational example of
the conversation detector (greetings, thanks, short questions), and every e-mail
of the calibration and earlier held-out e-mail sets, whole, with its manifest's kind. Text the
rules already refer (abuse, reporting, self-harm named) is left out: its level is a judgement.

    .venv/bin/python bench/urgency_ordinary.py
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.mail import read_email  # noqa: E402
from assistant.text import fold  # noqa: E402
from assistant.urgency import RULES, split_sentences  # noqa: E402

EVAL = ROOT / "tests" / "eval"
OUT = ROOT / "assistant" / "resources" / "urgency-train-ordinary.tsv"
QUESTION_FILES = [
    "dev_questions.tsv",
    "extra_questions.tsv",
    "calibration_questions.tsv",
    "heldout_questions.tsv",
    "answerability_train.tsv",
    "calibration_followups.tsv",
    "heldout_followups.tsv",
    "train_questions_pages.tsv",
    "train_questions_sources.tsv",
    "unseen_questions.tsv",
    "unseen_followups.tsv",
    "fresh_questions.tsv",
    "fresh_followups.tsv",
]
# Greetings, thanks, complaints about an answer and short questions (the conversation detector's
# hand-written examples): short ordinary text, which the vote otherwise finds beside short
# urgent sentences ("klopt niet", "ik snap het niet").
CONVERSATION = ROOT / "assistant" / "resources" / "conversation-train.tsv"
EMAIL_SETS = [
    EVAL / "emails" / "calibration",
    EVAL / "emails" / "heldout",
    EVAL / "emails" / "unseen",
    EVAL / "emails" / "fresh",
    ROOT / "tests/data/emails",
]


def referred_by_rules(text: str) -> bool:
    folded = fold(text)
    return any(rule.pattern.search(folded) for rule in RULES)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []
    for page in sorted((ROOT / "corpus").glob("*/*.md")):
        if page.parent.name in ("spoed", "contact") or page.name == "README.md":
            continue
        body = page.read_text(encoding="utf-8").split("---", 2)[-1]
        for line in body.splitlines():
            line = re.sub(r"^[#>*\-\s]+|\*\*", "", line)
            for sentence in split_sentences(line):
                if len(sentence.split()) >= 4:
                    rows.append((sentence, "none", "-", f"corpus {page.stem}"))
    for name in QUESTION_FILES:
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if line.startswith("#") or len(fields) < 2 or fields[1].strip() == "URGENT":
                continue
            rows.append((fields[0], "none", "-", name))
    for line in CONVERSATION.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append((line.split("\t")[0], "none", "-", CONVERSATION.name))
    for folder in EMAIL_SETS:
        with open(folder / "manifest.tsv", encoding="utf-8") as f:
            for entry in csv.DictReader(f, delimiter="\t"):
                mail = read_email((folder / entry["file"]).read_bytes())
                urgent = entry["kind"] == "urgent"
                label = ("urgent", entry["expected"]) if urgent else ("none", "-")
                rows.append((mail.text, *label, f"{folder.name}/{entry['file']}"))
    seen: set[str] = set()
    lines = [
        "# Ordinary text for the urgency classifier, written by bench/urgency_ordinary.py (do not",
        "# edit by hand; re-run it). Columns: text<TAB>level<TAB>category. See the script for the",
        "# sources; nothing here comes from the unseen evaluation files.",
    ]
    for text, level, category, _source in rows:
        text = one_line(text)
        key = text.lower()
        if key in seen or (level == "none" and referred_by_rules(text)):
            continue
        seen.add(key)
        lines.append(f"{text}\t{level}\t{category}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 3} voorbeelden in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
