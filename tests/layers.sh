#!/usr/bin/env bash
# tests/layers.sh - the rooms' floors (docs/ARCHITECTURE.md, "Rooms"): each
# room's sources include only headers of its own room and of the floors
# below it. Prints every include that runs back up and exits 1 if any does.
#
#   cli -> sql -> engine -> io, ops -> expr -> core -> include
#
# io and ops share a floor and do not include each other.
#
# Also the house's other rule: no source file (C, shell, Python) passes
# 1,000 lines; a file that grows past it is split by what its parts do.
set -u
cd "$(dirname "$0")/.." || exit 1

# allowed ROOM: the rooms a file of ROOM may include from
allowed() {
	case $1 in
	core) echo "core" ;;
	expr) echo "core expr" ;;
	io) echo "core expr io" ;;
	ops) echo "core expr ops" ;;
	engine) echo "core expr io ops engine" ;;
	sql) echo "core expr io ops engine sql" ;;
	cli) echo "core expr io ops engine sql cli" ;;
	esac
}

bad=0
for room in core expr io ops engine sql cli; do
	ok=" $(allowed "$room") "
	for f in "$room"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS= read -r line; do
			inc=${line#*\"}
			inc=${inc%%\"*}
			case $inc in
			*/*) ;;
			*) continue ;; # sluice.h and system headers
			esac
			to=${inc%%/*}
			if [ "${ok#* "$to" }" = "$ok" ]; then
				echo "$f includes $inc: $room may include only from$ok" >&2
				bad=1
			fi
		done < <(grep -E '^#include "' "$f")
	done
done

max=1000
while IFS= read -r f; do
	n=$(wc -l < "$f")
	if [ "$n" -gt $max ]; then
		echo "$f has $n lines: split it (no file passes $max)" >&2
		bad=1
	fi
done < <(git ls-files '*.c' '*.h' '*.sh' '*.py' 2> /dev/null ||
	find . -path ./build\* -prune -o \( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' \) -print)
[ $bad = 0 ] && echo "layers: every include runs down the floors; no file passes $max lines"
exit $bad
