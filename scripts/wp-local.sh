#!/usr/bin/env bash
# wp-local.sh — a real, throw-away WordPress on 127.0.0.1 for tests and CI (Debian 12, no Docker,
# no systemd, no internet besides the Debian mirror). See shared/docs/wordpress.md.
#
#   wp-local.sh start [--port N] [--dir D] [--timezone TZ] [--user U] [--permalinks pretty|plain]
#       Start an instance (a free port and a new temp dir unless given; an existing, installed
#       --dir is restarted with its data). Installs missing Debian packages first (root only).
#       --permalinks plain: WordPress's "Plain" permalinks (REST API only at ?rest_route=, /wp-json/
#       answers 301 to the home page); default pretty (/%postname%/).
#       Prints shell-evaluable lines: WP_BASE_URL, WP_APP_USER, WP_APP_PASSWORD, WP_LOCAL_DIR,
#       plus WP_TIMEZONE, WP_PERMALINKS, WP_SUBSCRIBER_USER, WP_SUBSCRIBER_PASSWORD. Nothing else goes to stdout.
#   wp-local.sh stop DIR [--keep]
#       Stop php -S (whole process group) and MariaDB (by pid); delete DIR unless --keep.
#   wp-local.sh status DIR
#       Show what runs; exit 0 when the site answers, 1 otherwise.
#   wp-local.sh install-deps
#       Install the Debian packages if missing (root), or list them and exit 1.
#
# Layout of DIR: db/ (MariaDB datadir), mysqld.sock, mariadbd.pid, wp/ (private WordPress copy),
# router.php, php.pid (= php's process group id), instance.env, *.log / *.err, mail.log (what
# WordPress mailed: sendmail_path points at a script that appends each message there).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELPERS="$HERE/wp-local"
PACKAGES=(wordpress php-cli php-mysql php-gd php-xml php-mbstring php-curl php-imagick mariadb-server curl)
MARKER=".wp-local-instance"   # only directories carrying it are ever deleted by `stop`

log() { printf 'wp-local: %s\n' "$*" >&2; }
die() { printf 'wp-local: ERROR: %s\n' "$*" >&2; exit 1; }

# Print the last lines of the given log files to stderr (why something did not come up).
tail_logs() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        printf -- '----- last lines of %s -----\n' "$f" >&2
        tail -n 40 "$f" >&2 || true
    done
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# packages

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
    done
}

install_deps() {
    local missing
    missing="$(missing_packages)"
    [[ -z "$missing" ]] && return 0
    # shellcheck disable=SC2086
    if [[ "$(id -u)" != 0 ]]; then
        log "missing Debian packages:" $missing
        log "install them as root: apt-get install -y --no-install-recommends" $missing
        log "(or run: sudo $0 install-deps)"
        return 1
    fi
    local t0 policy_created=0
    t0="$(now)"
    log "installing Debian packages:" $missing
    # Keep package maintainer scripts from starting apache2/mariadb (there is no systemd anyway).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_created=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing
    } >/tmp/wp-local-apt.$$.log 2>&1 || rc=$?
    if (( policy_created )); then rm -f /usr/sbin/policy-rc.d; fi
    if (( rc != 0 )); then
        tail_logs /tmp/wp-local-apt.$$.log
        rm -f /tmp/wp-local-apt.$$.log
        die "apt-get failed (exit $rc)"
    fi
    rm -f /tmp/wp-local-apt.$$.log
    missing="$(missing_packages)"
    [[ -z "$missing" ]] || die "still missing after apt-get: $missing"
    log "packages installed in $(elapsed "$t0") s"
}

# ---------------------------------------------------------------------------------------------
# helpers

# Alive and not a zombie.
pid_alive() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] || return 1
    local st
    st="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
    [[ -n "$st" && "$st" != Z* ]]
}

# The process group of a pid, from /proc (field 5 of stat; the command name may contain spaces).
pgid_of() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    # shellcheck disable=SC2086
    set -- $stat
    printf '%s\n' "$3"
}

# Is any live (non-zombie) process left in process group $1? Exited php workers and killed
# servers can linger as zombies when their parent (or PID 1 in a container) does not reap them,
# and `kill -0` counts zombies as alive.
group_alive() {
    ps -e -o pgid=,stat= | awk -v pg="$1" '$1 == pg && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

port_in_use() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$1/"; }

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    else
        local p
        for _ in $(seq 50); do
            p=$(( 20000 + RANDOM % 30000 ))
            port_in_use "$p" || { echo "$p"; return 0; }
        done
        die "no free port found"
    fi
}

mariadb_cli() { mariadb --no-defaults --socket="$DIR/mysqld.sock" -uroot "$@"; }

write_wp_config() {   # $1 = port
    local url="http://127.0.0.1:$1"
    rm -f "$DIR/wp/wp-config.php"   # may be a hard link into /usr/share/wordpress: never edit in place
    cat >"$DIR/wp/wp-config.php" <<PHP
<?php
// Written by scripts/wp-local.sh for a throw-away test instance.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp');
define('DB_HOST', 'localhost:$DIR/mysqld.sock');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('AUTH_KEY', 'wp-local-test-auth-key');
define('SECURE_AUTH_KEY', 'wp-local-test-secure-auth-key');
define('LOGGED_IN_KEY', 'wp-local-test-logged-in-key');
define('NONCE_KEY', 'wp-local-test-nonce-key');
define('AUTH_SALT', 'wp-local-test-auth-salt');
define('SECURE_AUTH_SALT', 'wp-local-test-secure-auth-salt');
define('LOGGED_IN_SALT', 'wp-local-test-logged-in-salt');
define('NONCE_SALT', 'wp-local-test-nonce-salt');
\$table_prefix = 'wp_';
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
define('WP_ENVIRONMENT_TYPE', 'local');   // application passwords over plain http
define('DISABLE_WP_CRON', true);          // no loopback cron requests
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);   // no outbound HTTP
define('FS_METHOD', 'direct');
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
}

start_mariadb() {
    local fresh=0 t0
    t0="$(now)"
    if [[ ! -d "$DIR/db/mysql" ]]; then
        fresh=1
        mkdir -p "$DIR/db"
        mariadb-install-db --no-defaults "${DB_USER_OPT[@]}" --datadir="$DIR/db" \
            --auth-root-authentication-method=normal --skip-test-db >"$DIR/mariadb-install.log" 2>&1 ||
            { tail_logs "$DIR/mariadb-install.log"; die "mariadb-install-db failed"; }
    fi
    rm -f "$DIR/mysqld.sock"
    # setsid: its own session, so a signal to the caller's process group does not take it down.
    setsid mariadbd --no-defaults "${DB_USER_OPT[@]}" --datadir="$DIR/db" --socket="$DIR/mysqld.sock" \
        --pid-file="$DIR/mariadbd.server.pid" --skip-networking --skip-name-resolve --skip-log-bin \
        --log-error="$DIR/mariadbd.err" --innodb-buffer-pool-size=64M \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-log-file-size=16M \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        >"$DIR/mariadbd.out" 2>&1 </dev/null &
    local pid=$!
    disown "$pid" 2>/dev/null || true   # no "Killed" job notices from bash on stop-after-failure
    echo "$pid" >"$DIR/mariadbd.pid"
    local i
    for i in $(seq 300); do   # 30 s
        if mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1; then
            break
        fi
        pid_alive "$pid" || { tail_logs "$DIR/mariadbd.err" "$DIR/mariadbd.out"; die "mariadbd exited during start"; }
        sleep 0.1
    done
    mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1 ||
        { tail_logs "$DIR/mariadbd.err" "$DIR/mariadbd.out"; die "mariadbd did not answer within 30 s"; }
    if (( fresh )); then
        mariadb_cli -e "
            CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
            CREATE USER IF NOT EXISTS 'wp'@'localhost' IDENTIFIED BY 'wp';
            GRANT ALL ON wordpress.* TO 'wp'@'localhost';" >>"$DIR/mariadb-install.log" 2>&1 ||
            { tail_logs "$DIR/mariadb-install.log" "$DIR/mariadbd.err"; die "creating the database failed"; }
    fi
    log "mariadb up in $(elapsed "$t0") s (pid $pid)"
}

# Start php -S on $1; returns 0 when it answers, 2 when the port was taken, dies otherwise.
start_php() {
    local port="$1"
    : >"$DIR/php-server.log"
    # Mail WordPress sends (comment notifications, …) goes to $DIR/mail.log instead of a mail server,
    # so tests can check that a run sent none.
    printf '#!/bin/sh\n{ echo "=== $(date -u +%%FT%%TZ) sendmail $*"; cat; } >>"%s/mail.log"\n' "$DIR" >"$DIR/sendmail.sh"
    chmod +x "$DIR/sendmail.sh"
    : >>"$DIR/mail.log"
    PHP_CLI_SERVER_WORKERS=4 setsid php \
        -d upload_max_filesize=64M -d post_max_size=64M -d memory_limit=256M \
        -d sendmail_path="$DIR/sendmail.sh" \
        -d log_errors=1 -d error_log="$DIR/php-error.log" -d display_errors=0 \
        -S "127.0.0.1:$port" -t "$DIR/wp" "$DIR/router.php" >"$DIR/php-server.log" 2>&1 </dev/null &
    local pid=$!
    disown "$pid" 2>/dev/null || true   # no "Killed" job notices from bash on stop-after-failure
    echo "$pid" >"$DIR/php.pid"
    local i code=000
    for i in $(seq 300); do   # 30 s
        code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -u "$APP_USER:$APP_PASSWORD" \
            "http://127.0.0.1:$port/?rest_route=/wp/v2/users/me" 2>/dev/null)" || true
        [[ "$code" == 200 ]] && break
        if ! pid_alive "$pid"; then
            if grep -q -i 'address already in use' "$DIR/php-server.log"; then return 2; fi
            tail_logs "$DIR/php-server.log" "$DIR/php-error.log"
            die "php -S exited during start"
        fi
        sleep 0.1
    done
    if [[ "$code" != 200 ]]; then
        tail_logs "$DIR/php-server.log" "$DIR/php-error.log"
        die "WordPress did not answer 200 on ?rest_route=/wp/v2/users/me within 30 s (last HTTP status $code)"
    fi
    # php is a group leader only if setsid did not need to fork; stop relies on pid == pgid.
    local pg
    pg="$(pgid_of "$pid")" || die "php -S vanished"
    [[ "$pg" == "$pid" ]] || log "warning: php pid $pid is in process group $pg"
    echo "$pg" >"$DIR/php.pid"
    return 0
}

emit_env() {
    cat <<EOF
WP_BASE_URL='$BASE_URL'
WP_APP_USER='$APP_USER'
WP_APP_PASSWORD='$APP_PASSWORD'
WP_LOCAL_DIR='$DIR'
WP_TIMEZONE='$TIMEZONE'
WP_PERMALINKS='$PERMALINKS'
WP_SUBSCRIBER_USER='$SUB_USER'
WP_SUBSCRIBER_PASSWORD='$SUB_PASSWORD'
EOF
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_start() {
    local port="" dir="" t0
    TIMEZONE=""      # empty: WordPress default (UTC) when new, unchanged on a restarted instance
    APP_USER="admin"
    PERMALINKS="pretty"
    while (( $# )); do
        case "$1" in
            --port) port="${2:?--port needs a value}"; shift 2 ;;
            --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
            --timezone) TIMEZONE="${2:?--timezone needs a value}"; shift 2 ;;
            --user) APP_USER="${2:?--user needs a value}"; shift 2 ;;
            --permalinks) PERMALINKS="${2:?--permalinks needs a value}"; shift 2 ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    [[ "$APP_USER" =~ ^[A-Za-z0-9_.-]+$ ]] || die "--user must be [A-Za-z0-9_.-]+"
    [[ "$TIMEZONE" =~ ^[A-Za-z0-9_/+-]*$ ]] || die "--timezone must look like Area/City or UTC"
    [[ "$PERMALINKS" == pretty || "$PERMALINKS" == plain ]] || die "--permalinks must be pretty or plain"
    t0="$(now)"
    install_deps || exit 1

    local created=0
    if [[ -z "$dir" ]]; then
        dir="$(mktemp -d /tmp/wp-local.XXXXXX)"
        created=1
    else
        mkdir -p "$dir"
    fi
    DIR="$(cd "$dir" && pwd)"
    local sock="$DIR/mysqld.sock"
    (( ${#sock} < 100 )) || die "socket path $sock is ${#sock} bytes; unix sockets allow ~107: use a shorter --dir"
    if [[ -s "$DIR/php.pid" ]] && pid_alive "$(cat "$DIR/php.pid")"; then
        die "$DIR is already running (php pid $(cat "$DIR/php.pid")); stop it first"
    fi
    if [[ -s "$DIR/mariadbd.pid" ]] && pid_alive "$(cat "$DIR/mariadbd.pid")"; then
        die "$DIR has a running mariadbd (pid $(cat "$DIR/mariadbd.pid")); stop it first"
    fi
    touch "$DIR/$MARKER"

    # If anything below fails, do not leave half an instance running.
    # A directory we created ourselves is removed too (the log tails were already printed).
    CREATED_DIR="$created"
    trap 'rc=$?; if (( rc != 0 )); then log "start failed; stopping what was started in $DIR";
          stop_processes 1; if (( CREATED_DIR )); then rm -rf -- "$DIR"; fi; fi' EXIT

    if [[ "$(id -u)" == 0 ]]; then DB_USER_OPT=(--user=root); else DB_USER_OPT=(); fi
    start_mariadb

    if [[ ! -f "$DIR/wp/wp-settings.php" ]]; then
        cp -al /usr/share/wordpress "$DIR/wp" 2>/dev/null || { rm -rf "$DIR/wp"; cp -a /usr/share/wordpress "$DIR/wp"; }
        rm -f "$DIR/wp/.htaccess" "$DIR/wp/wp-config.php"
        mkdir -p "$DIR/wp/wp-content/uploads"
    fi
    cp "$HELPERS/router.php" "$DIR/router.php"

    local auto_port=0
    if [[ -z "$port" ]]; then auto_port=1; port="$(free_port)"; fi
    port_in_use "$port" && die "something already answers on 127.0.0.1:$port"
    write_wp_config "$port"

    # Install (first time only) and mint fresh application passwords.
    local out
    out="$(php -d display_errors=stderr "$HELPERS/install.php" "$DIR/wp" "$APP_USER" "wp-local-login-$$-$RANDOM" \
        "$APP_USER@example.com" "$TIMEZONE" "$PERMALINKS" 2>"$DIR/install.err")" ||
        { tail_logs "$DIR/install.err" "$DIR/mariadbd.err"; die "WordPress install failed"; }
    APP_PASSWORD="$(sed -n 's/^APP_PASSWORD=//p' <<<"$out")"
    SUB_USER="$(sed -n 's/^SUBSCRIBER_USER=//p' <<<"$out")"
    SUB_PASSWORD="$(sed -n 's/^SUBSCRIBER_PASSWORD=//p' <<<"$out")"
    TIMEZONE="$(sed -n 's/^TIMEZONE=//p' <<<"$out")"
    [[ "$APP_PASSWORD" =~ ^[A-Za-z0-9\ ]+$ ]] || { tail_logs "$DIR/install.err"; die "install.php printed no application password: $out"; }

    local attempt rc
    for attempt in 1 2 3 4 5; do
        rc=0
        start_php "$port" || rc=$?
        (( rc == 0 )) && break
        (( auto_port )) || { tail_logs "$DIR/php-server.log"; die "port $port is in use"; }
        log "port $port was taken meanwhile; trying another"
        port="$(free_port)"
        write_wp_config "$port"
    done
    (( rc == 0 )) || die "could not bind php -S to a free port"

    BASE_URL="http://127.0.0.1:$port"
    emit_env >"$DIR/instance.env"
    chmod 600 "$DIR/instance.env"
    trap - EXIT
    log "WordPress ready at $BASE_URL in $(elapsed "$t0") s (dir $DIR)"
    emit_env
}

# Stop php's process group and mariadbd. $1=1: SIGKILL MariaDB (data is thrown away).
stop_processes() {
    local fast="${1:-1}" pg pid i
    if [[ -s "$DIR/php.pid" ]]; then
        pg="$(cat "$DIR/php.pid")"
        # Never signal our own process group (would happen if php had not become a group leader).
        if [[ "$pg" =~ ^[0-9]+$ ]] && [[ "$pg" != "$(pgid_of $$)" ]]; then
            kill -TERM -- "-$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null || true
            for i in $(seq 30); do
                group_alive "$pg" || break
                sleep 0.1
            done
            kill -KILL -- "-$pg" 2>/dev/null || true
            for i in $(seq 20); do group_alive "$pg" || break; sleep 0.1; done
        fi
        rm -f "$DIR/php.pid"
    fi
    if [[ -s "$DIR/mariadbd.pid" ]]; then
        pid="$(cat "$DIR/mariadbd.pid")"
        if [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
            if (( fast )); then
                kill -KILL "$pid" 2>/dev/null || true
            else
                kill -TERM "$pid" 2>/dev/null || true
                for i in $(seq 300); do pid_alive "$pid" || break; sleep 0.1; done
                pid_alive "$pid" && { log "mariadbd did not stop in 30 s; killing"; kill -KILL "$pid" 2>/dev/null || true; }
            fi
            for i in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
        fi
        rm -f "$DIR/mariadbd.pid"
    fi
}

cmd_stop() {
    local keep=0 dir=""
    while (( $# )); do
        case "$1" in
            --keep) keep=1; shift ;;
            -*) die "stop: unknown option $1" ;;
            *) dir="$1"; shift ;;
        esac
    done
    [[ -n "$dir" ]] || die "usage: $0 stop DIR [--keep]"
    [[ -d "$dir" ]] || die "no such directory: $dir"
    DIR="$(cd "$dir" && pwd)"
    [[ -e "$DIR/$MARKER" ]] || die "$DIR is not a wp-local instance (no $MARKER); refusing to touch it"
    if (( keep )); then
        stop_processes 0
        log "stopped; data kept in $DIR (restart: $0 start --dir $DIR)"
    else
        stop_processes 1
        rm -rf -- "$DIR"
        log "stopped and removed $DIR"
    fi
}

cmd_status() {
    local dir="${1:-}"
    [[ -n "$dir" && -d "$dir" ]] || die "usage: $0 status DIR"
    DIR="$(cd "$dir" && pwd)"
    [[ -e "$DIR/$MARKER" ]] || die "$DIR is not a wp-local instance"
    local ok=0 pid pg
    pid="$(cat "$DIR/mariadbd.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then echo "mariadbd: running (pid $pid)"; else echo "mariadbd: stopped"; ok=1; fi
    pg="$(cat "$DIR/php.pid" 2>/dev/null || true)"
    if [[ -n "$pg" ]] && group_alive "$pg"; then echo "php -S: running (process group $pg)"; else echo "php -S: stopped"; ok=1; fi
    if [[ -s "$DIR/instance.env" ]]; then
        cat "$DIR/instance.env"
        local url
        url="$(sed -n "s/^WP_BASE_URL='\(.*\)'$/\1/p" "$DIR/instance.env")"
        if (( ok == 0 )) && curl -s -o /dev/null -m 5 -f "$url/?rest_route=/"; then
            echo "site: answering at $url"
        else
            echo "site: not answering"
            ok=1
        fi
    fi
    return "$ok"
}

main() {
    local cmd="${1:-}"
    (( $# )) && shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        install-deps) install_deps ;;
        *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
