"""The web chat: a script any site can embed (`/widget.js`), a hosted chat page (`/chat/{slug}`) and
the public API they talk to (`/api/widget/...`), answering in text and, sentence by sentence, in the
seller's voice.

`install_widget` mounts it into the app with the parts the composition root hands in
(`WidgetContext`); the seller's settings routes (`routes_seller.router`) join the signed-in API.
"""

from __future__ import annotations

from fastapi import FastAPI

from echome.widget.context import WidgetContext, WidgetLimits
from echome.widget.cors import WidgetCorsMiddleware


def install_widget(app: FastAPI, context: WidgetContext) -> None:
    from echome.widget import routes_assets, routes_public

    app.state.widget = context
    app.include_router(routes_public.router)
    app.include_router(routes_assets.router)
    app.add_middleware(WidgetCorsMiddleware)


__all__ = ["WidgetContext", "WidgetLimits", "install_widget"]
