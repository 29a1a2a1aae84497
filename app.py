"""Serve the hechtingsassistent: `python app.py [--host H] [--port P]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    from assistant.errors import AssistantError
    from assistant.feedback import FeedbackLog
    from assistant.pipeline import Assistant, build_ingestor
    from assistant.settings import Settings
    from webapp import CSS, WebApp

    settings = Settings()
    parser = argparse.ArgumentParser(description="Hechtingsassistent (web)")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        assistant = Assistant.from_settings(settings)
        ingestor = build_ingestor(settings, assistant.retriever.embedder)
        if not assistant.retriever.store.pointer().get("active"):
            print("Er is nog geen index; die wordt nu gebouwd.", file=sys.stderr)
            ingestor.run()
        assistant.ask("Wat is hechting?")  # load model and index before the first user
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    app = WebApp(
        assistant,
        FeedbackLog(settings.feedback_db, settings.log_questions),
        lambda progress: ingestor.run(progress=progress).summary(),
        settings.curator_password,
    )
    demo = app.build()
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.launch(server_name=args.host, server_port=args.port, css=CSS, footer_links=["api"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
