"""Serve the hechtingsassistent: `python app.py [--host H] [--port P]`.

Chat at `/`, helpdesk at `/helpdesk`, curators at `/redactie`, JSON API at `/api/*` (`/docs`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from assistant.errors import AssistantError
    from assistant.feedback import FeedbackLog
    from assistant.pipeline import Assistant, build_ingestor
    from assistant.settings import Settings
    from webapp import WebApp

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
        warm = assistant.ask("Wat is hechting?")  # load model and index before the first user
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    web = WebApp(
        assistant,
        FeedbackLog.from_settings(settings),
        lambda progress: ingestor.run(progress=progress),
        settings.curator_password,
    )
    web.contacts.update(warm.contact)
    app = web.fastapi(settings.concurrency)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
