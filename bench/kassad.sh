# Sourced by the bench scripts (http_bench.sh, checkpoint_ab.sh): kassad on loopback with 16
# registers of one legal entity and a cashier token, on a fresh data dir.
token=bench-token-0123456789abcdef0123456789
digest=$(printf %s "$token" | sha256sum | cut -d' ' -f1)

# start_bench_kassad BINARY DIR EXTRA_TOML URI...: the registers take the URIs in turn (one, or
# 16); EXTRA_TOML goes into the config as it is. Sets kassad_pid, port and url; the config, the
# data dir (var/) and kassad's output are in DIR.
start_bench_kassad() {
    local bin=$1 dir=$2 extra=$3
    local uris=("${@:4}") i
    mkdir -p "$dir"
    {
        printf '[server]\nlisten = "127.0.0.1:0"\n[log]\nlevel = "warn"\n%s\n' "$extra"
        printf '[[entities]]\ninn = "7701234567"\nname = "ООО «Бенч»"\ncashier = "Кассир"\n'
        printf 'settlement_address = "г. Москва, ул. Примерная, д. 1"\nsettlement_place = "Офис"\n'
        for i in $(seq 1 16); do
            printf '[[registers]]\nid = "r%02d"\nuri = "%s"\nentity_inn = "7701234567"\n' "$i" "${uris[$(( (i - 1) % ${#uris[@]} ))]}"
        done
        printf '[[tokens]]\nname = "bench"\nrole = "cashier"\nsha256 = "%s"\n' "$digest"
    } >"$dir/kassa.toml"
    "$bin" --config "$dir/kassa.toml" --data-dir "$dir/var" >"$dir/kassad.out" 2>"$dir/kassad.err" &
    kassad_pid=$!
    port=
    for _ in $(seq 1 300); do
        port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/kassad.out" 2>/dev/null | grep -oE '[0-9]+$' || true)
        [ -n "$port" ] && break
        kill -0 "$kassad_pid" || { cat "$dir/kassad.err" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "kassad did not start" >&2; exit 1; }
    url="http://127.0.0.1:$port"
}
