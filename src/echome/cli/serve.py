"""`echome serve` (web + embedded worker) and `echome worker` (queue consumer)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

import typer

from echome.cli.common import console, ensure_owner, state

if TYPE_CHECKING:
    from echome.bootstrap import Services


def serve(
    host: str = typer.Option(None, "--host", help="Interface to bind (default ECHOME_HOST, 127.0.0.1)"),
    port: int = typer.Option(None, "--port", help="Port (default ECHOME_PORT, 8000)"),
    workers: int = typer.Option(None, "--workers", help="Job threads in this process"),
    no_worker: bool = typer.Option(False, "--no-worker", help="Web only; jobs run in `echome worker`"),
) -> None:
    """Run the web app, the embedded job worker and the configured channels in one process."""
    import uvicorn

    from echome.app.main import create_app

    state.long_running = True
    services = state.services()
    settings = services.settings
    if workers is not None:
        settings.workers = max(1, workers)
    if settings.embedded:
        ensure_owner(services)
    app = create_app(services, run_worker=not no_worker)
    stopping = threading.Event()
    warming = None if no_worker else _warm_up_in_background(services, stopping)
    host = host or settings.host
    port = port if port is not None else settings.port
    console.print(f"Echo Me on [bold]http://{host}:{port}[/bold]  (data: {settings.data_dir})")
    poller = None
    if settings.telegram_polling == "on" or (settings.telegram_polling == "auto" and not settings.public_url):
        poller = services.make_poller()  # bots without a webhook; a webhook bot answers 409 and waits
        poller.start()
    config = uvicorn.Config(app, host=host, port=port, log_config=None, proxy_headers=True, access_log=False)
    uvicorn.Server(config).run()
    stopping.set()
    if poller is not None:
        poller.stop()
    if warming is not None:
        warming.join(timeout=120)
    services.close()


def worker(
    threads: int = typer.Option(None, "--threads", help="Concurrent jobs (default ECHOME_WORKERS)"),
) -> None:
    """Consume jobs from the queue until SIGTERM/SIGINT (scaled deployments run many)."""
    state.long_running = True
    services = state.services()
    w = services.make_worker(threads=threads)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # second signal: stop now
            raise SystemExit(1)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    warming = _warm_up_in_background(services, stop)
    w.start()
    console.print(f"worker {w.worker_id} consuming from {services.queue.backend} queue")
    while not stop.wait(0.5):
        pass
    console.print("stopping: finishing running jobs (signal again to stop now)")
    w.stop(graceful=True, timeout=services.settings.job_lease_seconds)
    # A model still loading in native code when the interpreter exits aborts the process (SIGABRT).
    warming.join(timeout=120)
    services.close()


def _warm_up_in_background(services: Services, stop: threading.Event) -> threading.Thread:
    """Load the models jobs use while the server starts listening, at the job threads' priority; once
    `stop` is set (shutting down) only the model loading at that moment is waited for."""
    from echome.jobs.runner import lower_thread_priority

    def run() -> None:
        lower_thread_priority(services.settings.worker_nice)
        services.warm_up(stop.is_set)

    thread = threading.Thread(target=run, name="echome-warm-up", daemon=True)
    thread.start()
    return thread
