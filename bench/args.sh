# Sourced by the bench scripts: "PROGRAM [NUMBER] -- [common options]". Sets prog, num
# (the optional second argument, or $1 of the caller's default), data (the --data
# directory among the common options, ../shared/data otherwise), opts (the common
# options) and out (a temporary folder removed at exit).
bench_args() {
    local dflt=$1
    shift
    prog=$1
    num=$dflt
    shift
    if [ $# -gt 0 ] && [ "$1" != -- ]; then num=$1; shift; fi
    [ "${1:-}" = -- ] && shift
    opts=("$@")
    data=../shared/data
    for ((i = 0; i < ${#opts[@]}; i++)); do [ "${opts[$i]}" = --data ] && data=${opts[$((i + 1))]}; done
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
}

# Writes N past judgments to OUT: the rows of DATA/labeled/history.csv repeated under new uids.
history_rows() {
    python3 - "$1/labeled/history.csv" "$2" "$3" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
head, body, n = rows[0], rows[1:], int(sys.argv[3])
ui = head.index("uid")
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow(head)
    for k in range(n):
        r = list(body[k % len(body)])
        r[ui] = "%s-%d" % (r[ui], k)
        w.writerow(r)
PY
}

# A TCP port free on 127.0.0.1 now, for a server the script starts.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
