# Shell functions shared by scripts/test and scripts/bench: a throwaway
# PostgreSQL cluster in a temporary directory on a free loopback port,
# installed from Debian's packages first when missing (as root), stopped
# and removed on exit. Source it, then call `start_throwaway_pg "OPTIONS"`
# (extra server options); it sets `pg_url`.

find_pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"; return 0
    fi
    return 1
}

free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$(( 20000 + RANDOM % 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    return 1
}

pg_dir=""
pg_bindir=""
pg_user=""
as_pg_user() {
    if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}
stop_throwaway_pg() {
    if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
        as_pg_user "$pg_bindir/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
}

start_throwaway_pg() {
    local options="$1"
    if ! pg_bindir=$(find_pg_bindir); then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            say "Installing PostgreSQL (Debian package postgresql)"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq postgresql >/dev/null
            pg_bindir=$(find_pg_bindir) || die "PostgreSQL was installed but initdb/pg_ctl were not found"
        else
            die "PostgreSQL server binaries not found. Install them (sudo apt-get install postgresql) or give a postgres:// URL"
        fi
    fi
    # PostgreSQL refuses to run as root: run the cluster as an ordinary user.
    if [ "$(id -u)" = "0" ]; then
        pg_user=postgres
        id -u "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
    fi
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/maillage-pg.XXXXXX")
    trap stop_throwaway_pg EXIT
    chmod 755 "$pg_dir"
    [ -n "$pg_user" ] && chown "$pg_user" "$pg_dir"
    local port
    port=$(free_port) || die "no free loopback port for PostgreSQL"
    say "Starting a throwaway PostgreSQL ($("$pg_bindir/postgres" --version)) on 127.0.0.1:$port"
    as_pg_user "$pg_bindir/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 \
        || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
    as_pg_user "$pg_bindir/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 $options" \
        start >/dev/null || { cat "$pg_dir/server.log" >&2; die "PostgreSQL did not start"; }
    pg_url="postgres://postgres@127.0.0.1:$port/postgres"
}
