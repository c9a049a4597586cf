"""One server for every way to ask: FastAPI for the JSON API, with the Gradio page mounted."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from dataclasses import asdict  # noqa: E402

from fastapi import Body, FastAPI, HTTPException  # noqa: E402

from chat.engine import Engine  # noqa: E402
from chat.errors import QuestionError  # noqa: E402
from chat.settings import Settings  # noqa: E402


def create_app(engine: Engine) -> FastAPI:
    import gradio as gr

    from chat.ui import build_ui
    from chat.widget import widget_router

    app = FastAPI(title="citewise", description="Answers from your documents, every claim cited.")

    @app.get("/healthz")
    def healthz() -> dict:
        manifest = engine.index.manifest
        summary = {k: v for k, v in asdict(manifest).items() if k in ("version", "model", "documents", "paragraphs", "created_at")}
        return {"status": "ok", "index": summary}

    @app.post("/api/ask")
    def ask(payload: dict = Body(...)) -> dict:
        try:
            return engine.ask(payload.get("question"), payload.get("history")).to_dict()
        except QuestionError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None

    app.include_router(widget_router(engine.settings))
    return gr.mount_gradio_app(app, build_ui(engine), path="/")


def run(settings: Settings) -> None:
    import uvicorn

    app = create_app(Engine.from_settings(settings))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
