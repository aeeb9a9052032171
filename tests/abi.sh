#!/usr/bin/env bash
# tests/abi.sh LIB HEADER... - the shared library exports exactly the
# functions its public headers declare (SL_API), no internal symbol and
# no declared function missing. Prints the differences and exits 1 on any.
set -u
lib=$1
shift
headers=("$@")
header="${headers[*]}"
command -v nm > /dev/null || { echo "abi: nm (binutils) is required" >&2; exit 1; }
[ -e "$lib" ] || { echo "abi: no $lib" >&2; exit 1; }

declared=$(cat "${headers[@]}" | grep -oE '^SL_API [^(]*\bsl_[a-z_0-9]+\(' |
	grep -oE 'sl_[a-z_0-9]+\($' | tr -d '(' | sort -u)
# every defined dynamic symbol, whatever its kind (functions, data)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' |
	grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u)

missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
status=0
if [ -n "$missing" ]; then
	echo "abi: declared in $header but not exported by $lib:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	status=1
fi
if [ -n "$extra" ]; then
	echo "abi: exported by $lib but not in $header:" >&2
	echo "$extra" | sed 's/^/  /' >&2
	status=1
fi
[ $status = 0 ] && echo "abi: $lib exports the $(echo "$declared" | wc -l) functions of $header and nothing else"
exit $status
