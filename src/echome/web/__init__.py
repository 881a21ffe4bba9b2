"""The seller's web app: server-rendered pages (Jinja2) with htmx, mounted in the API's FastAPI app.

`install_web(app, WebContext(...))` is called by the app factory; nothing here reads the settings.
Templates are in `templates/` (components once, as macros, in `templates/macros/ui.html`), our own
CSS and JS in `static/`, third-party scripts and the typeface in `static/vendor/` (built from npm by
`web/build.mjs`; never edited by hand).
"""

from echome.web.context import WebContext
from echome.web.mount import install_web

__all__ = ["WebContext", "install_web"]
