#!/usr/bin/env bash
# try-local.sh — try `migrate` on a throw-away local WordPress before pointing it at your real site.
#
#   scripts/try-local.sh                  migrate a demo fake Tistory blog (32 posts, no internet)
#   scripts/try-local.sh URL              migrate the Tistory blog at URL (e.g. https://name.tistory.com)
#   scripts/try-local.sh [URL] --keep     leave WordPress running afterwards (prints how to stop it)
#
# Starts WordPress with scripts/wp-local.sh (Debian packages: installed when run as root), runs
# `migrate --all` into it with a job database in a temporary folder, prints what WordPress then
# holds (posts, media, categories), and stops everything it started. For a real blog the default
# polite rate limit (RATE_LIMIT, 2 requests/s) applies; the demo blog runs unthrottled.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY="${PYTHON:-python3}"

blog_url="" keep=0
for arg in "$@"; do
    case "$arg" in
        --keep) keep=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        http://*|https://*) blog_url="$arg" ;;
        *) echo "try-local: unknown argument $arg (see --help)" >&2; exit 2 ;;
    esac
done
blog_url="${blog_url:-${TISTORY_BLOG_URL:-}}"

work="$(mktemp -d /tmp/try-local.XXXXXX)"
wp_dir="" blog_pid=""
cleanup() {
    if [[ -n "$blog_pid" ]]; then kill "$blog_pid" 2>/dev/null || true; wait "$blog_pid" 2>/dev/null || true; fi
    if [[ -n "$wp_dir" ]] && (( ! keep )); then bash "$HERE/wp-local.sh" stop "$wp_dir" >/dev/null 2>&1 || true; fi
    rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting a local WordPress (scripts/wp-local.sh)"
bash "$HERE/wp-local.sh" start --timezone "${WP_TIMEZONE:-Asia/Seoul}" >"$work/wp.env"
# shellcheck disable=SC1091
source "$work/wp.env"
wp_dir="$WP_LOCAL_DIR"
export WP_BASE_URL WP_APP_USER WP_APP_PASSWORD
echo "   $WP_BASE_URL (user $WP_APP_USER)"

if [[ -z "$blog_url" ]]; then
    echo "== serving the demo fake Tistory blog"
    (cd "$REPO" && exec "$PY" -m tests.e2e.demo serve-blog "$work/blog.url") &
    blog_pid=$!
    for _ in $(seq 100); do [[ -s "$work/blog.url" ]] && break; sleep 0.1; done
    [[ -s "$work/blog.url" ]] || { echo "try-local: the demo blog did not start" >&2; exit 1; }
    blog_url="$(cat "$work/blog.url")"
    export RATE_LIMIT=0
fi
echo "   $blog_url"

echo "== migrate --all"
rc=0
# In the temporary folder: its own job database, and no .env of the checkout overrides these values.
(cd "$work" && TISTORY_BLOG_URL="$blog_url" MIGRATION_DB_PATH="$work/migration.db" PYTHONPATH="$REPO" \
    "$PY" -m migrator --all) || rc=$?
echo "   migrate exited with $rc"

echo "== what WordPress holds now"
(cd "$REPO" && "$PY" -m tests.e2e.demo show) || true

if (( keep )); then
    echo "== WordPress keeps running. Use it with:"
    echo "   export WP_BASE_URL='$WP_BASE_URL' WP_APP_USER='$WP_APP_USER' WP_APP_PASSWORD='$WP_APP_PASSWORD'"
    echo "   stop it with: bash $HERE/wp-local.sh stop $WP_LOCAL_DIR"
fi
exit "$rc"
