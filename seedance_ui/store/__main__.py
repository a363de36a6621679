"""`python -m seedance_ui.store copy --to postgresql://...`: move a SQLite studio's history to PostgreSQL.

Copies the data directory's studio.sqlite3 (jobs, job bookkeeping, the budget ledger, uploads,
identities and app secrets, reviews, chat tokens, prompt versions, storyboards) into the PostgreSQL
database; rows already there are kept, so running it twice doubles nothing. With `--media s3://...`
the media files (videos, posters, inputs, exports, cast pictures) are put into that bucket too, skipping
those already there (store/copy_media.py); without it they stay in the data directory. Run it before
the studio's replicas first start on that database, so they keep the old studio's visitor cookies.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from seedance_ui.config import DATABASE_URL_SCHEMES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m seedance_ui.store", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    copy = commands.add_parser(
        "copy", help="copy a SQLite studio's database and boards into PostgreSQL (its media into a bucket)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    copy.add_argument("--to", required=True, metavar="postgresql://...",
                      help="the PostgreSQL database (as SEEDANCE_DATABASE_URL will name it)")
    copy.add_argument("--media", default=None, metavar="s3://bucket/prefix",
                      help="also put the media files into this bucket (as SEEDANCE_MEDIA_URL will name it; "
                           "endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)")
    copy.add_argument("--data-dir", type=Path, default=None,
                      help="the studio's data directory (default: SEEDANCE_DATA_DIR, else ./data)")
    return parser.parse_args(argv)


def _data_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    from seedance_ui.config import load_settings

    return load_settings().data_dir


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.to.split("://", 1)[0].lower() not in DATABASE_URL_SCHEMES or "://" not in args.to:
        print("--to must be a PostgreSQL URL such as postgresql://user:password@host:5432/seedance",
              file=sys.stderr)
        return 2
    from seedance_ui.store.copy import copy_studio  # psycopg only for this command
    from seedance_ui.store.postgres import DatabaseUnavailableError, redact_url
    from seedance_ui.store.sqlite import SchemaTooNewError

    data_dir = _data_dir(args.data_dir)
    try:
        copies = copy_studio(data_dir, args.to)
    except (FileNotFoundError, DatabaseUnavailableError, SchemaTooNewError, sqlite3.Error) as exc:
        print(f"Nothing was copied: {exc}", file=sys.stderr)
        return 1
    print(f"Copied {data_dir} into {redact_url(args.to)}:")
    for done in copies:
        print(f"  {done.table:<18} {done.added:>7} new, {done.read - done.added:>7} there already")
    if args.media is None:
        print("Media files stay in the data directory (add --media s3://bucket/prefix to copy them).")
        return 0
    return _copy_media(data_dir, args.media)


def _copy_media(data_dir: Path, url: str) -> int:
    """The media files into the bucket `url` (store/copy_media.py); 1 with a message when it fails."""
    from seedance_ui.config import ConfigError, Settings, load_settings
    from seedance_ui.store.copy_media import copy_media
    from seedance_ui.store.objects import MediaError, open_media

    try:
        media_url = load_settings({"SEEDANCE_MEDIA_URL": url}, dotenv_path=None).media_url
        done = copy_media(data_dir, open_media(Settings(media_url=media_url), data_dir))
    except (ConfigError, MediaError) as exc:
        print(f"Media not copied: {str(exc).replace('SEEDANCE_MEDIA_URL', '--media')}", file=sys.stderr)
        return 1
    print(f"Media of {data_dir} into {url}: {done.copied} files copied ({done.copied_bytes} bytes), "
          f"{done.present} there already")
    return 0


if __name__ == "__main__":
    sys.exit(main())
