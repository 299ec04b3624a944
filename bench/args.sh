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
