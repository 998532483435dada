# Shell functions for scripts/test: a throwaway Garage (https://garagehq.deuxfleurs.fr,
# an S3-compatible object store) for the tests of the S3 media backend.
#
# `install_garage` builds Garage from crates.io into a cache outside the
# repository, reused by later runs:
#     ${XDG_CACHE_HOME:-$HOME/.cache}/maillage/garage/bin/garage
# (about 8.5 minutes of two cores the first time; MAILLAGE_GARAGE names
# another binary). `start_throwaway_garage` starts one node on free loopback
# ports in a temporary directory (SQLite metadata, replication factor 1, a
# layout assigned and applied), creates a bucket and a key with garage's own
# CLI, and exports what the tests read:
#     MAILLAGE_TEST_S3_ENDPOINT  http://127.0.0.1:PORT
#     MAILLAGE_TEST_S3_BUCKET, MAILLAGE_TEST_S3_REGION,
#     MAILLAGE_TEST_S3_ACCESS_KEY_ID, MAILLAGE_TEST_S3_SECRET_ACCESS_KEY
# `stop_throwaway_garage` stops it and removes its directory; the caller
# calls it on exit. Needs `say`, `die` and `free_port` (scripts/lib/postgres.sh).

GARAGE_VERSION=2.5.0
garage_cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/maillage/garage"
garage_bin="${MAILLAGE_GARAGE:-$garage_cache/bin/garage}"
garage_dir=""
garage_pid=""

# Whether the binary is there and of the version we test with.
garage_installed() {
    [ -x "$garage_bin" ] && "$garage_bin" --version 2>/dev/null | grep -q "v$GARAGE_VERSION"
}

# Builds Garage into the cache when missing; fails when it cannot.
install_garage() {
    garage_installed && return 0
    [ -n "${MAILLAGE_GARAGE:-}" ] && { echo "MAILLAGE_GARAGE=$MAILLAGE_GARAGE is not garage v$GARAGE_VERSION" >&2; return 1; }
    say "Installing Garage $GARAGE_VERSION from crates.io into $garage_cache (once; about 8.5 minutes on two cores)"
    local started=$SECONDS
    cargo install --quiet --locked garage --version "$GARAGE_VERSION" --root "$garage_cache" || return 1
    echo "Garage built in $((SECONDS - started)) s"
    garage_installed
}

# garage's CLI, talking to our node.
garage_cli() {
    "$garage_bin" -c "$garage_dir/garage.toml" "$@"
}

start_throwaway_garage() {
    local rpc_port s3_port admin_port
    rpc_port=$(free_port) && s3_port=$(free_port) && admin_port=$(free_port) || die "no free loopback port for Garage"
    garage_dir=$(mktemp -d "${TMPDIR:-/tmp}/maillage-garage.XXXXXX")
    chmod 700 "$garage_dir"
    local secret
    secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    cat > "$garage_dir/garage.toml" <<EOF
metadata_dir = "$garage_dir/meta"
data_dir = "$garage_dir/data"
db_engine = "sqlite"
replication_factor = 1
metadata_fsync = false
data_fsync = false
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
EOF
    say "Starting a throwaway Garage ($("$garage_bin" --version | head -n1)) on 127.0.0.1:$s3_port"
    "$garage_bin" -c "$garage_dir/garage.toml" server >"$garage_dir/server.log" 2>&1 &
    garage_pid=$!
    local node=""
    for _ in $(seq 1 100); do
        node=$(garage_cli node id -q 2>/dev/null) && break
        kill -0 "$garage_pid" 2>/dev/null || { cat "$garage_dir/server.log" >&2; die "Garage did not start"; }
        sleep 0.2
    done
    [ -n "$node" ] || { cat "$garage_dir/server.log" >&2; die "Garage did not answer its CLI"; }
    garage_cli layout assign -z test -c 1G "${node%%@*}" >/dev/null || die "garage layout assign failed"
    garage_cli layout apply --version 1 >/dev/null || die "garage layout apply failed"
    local bucket=maillage-test key_info
    garage_cli bucket create "$bucket" >/dev/null || die "garage bucket create failed"
    key_info=$(garage_cli key create maillage-test) || die "garage key create failed"
    garage_cli bucket allow --read --write --owner "$bucket" --key maillage-test >/dev/null || die "garage bucket allow failed"
    MAILLAGE_TEST_S3_ACCESS_KEY_ID=$(printf '%s\n' "$key_info" | sed -n 's/^Key ID: *//p' | head -n1)
    MAILLAGE_TEST_S3_SECRET_ACCESS_KEY=$(printf '%s\n' "$key_info" | sed -n 's/^Secret key: *//p' | head -n1)
    [ -n "$MAILLAGE_TEST_S3_ACCESS_KEY_ID" ] && [ -n "$MAILLAGE_TEST_S3_SECRET_ACCESS_KEY" ] \
        || { printf '%s\n' "$key_info" >&2; die "could not read the key garage created"; }
    export MAILLAGE_TEST_S3_ACCESS_KEY_ID MAILLAGE_TEST_S3_SECRET_ACCESS_KEY
    export MAILLAGE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
    export MAILLAGE_TEST_S3_BUCKET="$bucket"
    export MAILLAGE_TEST_S3_REGION=garage
}

stop_throwaway_garage() {
    if [ -n "$garage_pid" ]; then
        kill "$garage_pid" 2>/dev/null || true
        wait "$garage_pid" 2>/dev/null || true
        garage_pid=""
    fi
    if [ -n "$garage_dir" ] && [ -d "$garage_dir" ]; then
        rm -rf "$garage_dir"
    fi
}
