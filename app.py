"""``python app.py``: the study assistant in the browser (Gradio 6).

The launcher only: flags and ``TIL_*`` variables become settings, the bind/auth check runs,
then ``webui`` builds the UI (chat, quiz, library tabs) and it is served.

Safe by default: binds 127.0.0.1; any other host (or ``--share``) needs TIL_AUTH_USER and
TIL_AUTH_PASSWORD, or the app refuses to start.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from rag.config import Settings, load_settings
from webui.blocks import TITLE, build_app
from webui.context import AppContext

__all__ = ["bind_error", "build_app", "launch_kwargs", "main", "parse_args", "settings_from_args"]


def bind_error(settings: Settings) -> str:
    """Why the app must not start with these settings, or "" when it may.

    Anything reachable from another machine (a non-loopback host or a share link) exposes
    the student's notes, so it needs a login.
    """
    exposed = settings.is_public_bind or settings.share
    if not exposed or (settings.auth_user and settings.auth_password):
        return ""
    where = f"--host {settings.host}" if settings.is_public_bind else "--share"
    return (
        f"{where}로 열면 다른 컴퓨터에서도 노트를 볼 수 있으므로 로그인이 필요합니다. "
        "TIL_AUTH_USER와 TIL_AUTH_PASSWORD를 설정하거나 --host 127.0.0.1로 실행하세요. "
        f"(Refusing to serve on {settings.host}{' with a share link' if settings.share else ''} "
        "without auth: set TIL_AUTH_USER and TIL_AUTH_PASSWORD, or bind 127.0.0.1.)"
    )


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    auth = None
    if settings.auth_user and settings.auth_password:
        auth = (settings.auth_user, settings.auth_password)
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": auth,
        "share": bool(settings.share),
        "ssr_mode": False,
        "show_error": False,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", help="bind address (TIL_HOST; default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (TIL_PORT; default 7860)")
    parser.add_argument("--corpus", help="notes folder (TIL_CORPUS_DIR)")
    parser.add_argument("--index", help="index folder (TIL_INDEX_DIR)")
    parser.add_argument(
        "--offline", action="store_true", default=None, help="never fetch pages (TIL_OFFLINE)"
    )
    parser.add_argument(
        "--watch", action="store_true", default=None, help="re-index on save (TIL_WATCH)"
    )
    parser.add_argument(
        "--share", action="store_true", default=None, help="Gradio share link (needs auth)"
    )
    parser.add_argument(
        "--auth-user", help="login name (TIL_AUTH_USER); the password only from TIL_AUTH_PASSWORD"
    )
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(
        host=args.host,
        port=args.port,
        corpus_dir=args.corpus,
        index_dir=args.index,
        offline=args.offline,
        watch=args.watch,
        share=args.share,
        auth_user=args.auth_user,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"오류 (error): {exc}", file=sys.stderr)
        return 2
    problem = bind_error(settings)
    if problem:
        print(f"오류 (error): {problem}", file=sys.stderr)
        return 2
    if not Path(settings.corpus_dir).is_dir():
        print(f"오류 (error): 노트 폴더가 없습니다: {settings.corpus_dir}", file=sys.stderr)
        return 2
    # Our own progress lines at INFO; libraries (httpx logs every request) only when they warn.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("til").setLevel(logging.INFO)
    demo = build_app(settings)
    ctx: AppContext = demo.til_context  # type: ignore[attr-defined]
    url = f"http://{settings.host}:{settings.port}"
    if ctx.job.status().running:
        print(
            f"{TITLE}: 색인이 없어 백그라운드에서 만드는 중입니다. 진행 상황은 {url} 화면 위쪽과 "
            "이 콘솔에 표시됩니다. (Building the index in the background.)",
            flush=True,
        )
    else:
        print(f"{TITLE}: {url} 에서 열립니다. (Open {url})", flush=True)
    demo.launch(**launch_kwargs(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
