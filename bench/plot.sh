#!/bin/sh
# Plot the benchmark's CSV: one panel per key count, map workloads on the x
# axis, one bar per contender, median million operations per second (one
# thread).  Writes PREFIX.svg, and PREFIX.png where gnuplot can.
#   plot.sh RESULTS.csv PREFIX
set -eu
csv=$1 prefix=$2
GNUPLOT=${GNUPLOT:-$(command -v gnuplot || true)}
[ -n "$GNUPLOT" ] || { echo "plot.sh: gnuplot not found: no plot"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

contenders=$(awk -F, 'NR > 1 && $1 == "map" {print $5}' "$csv" | awk '!seen[$0]++')
sizes=$(awk -F, 'NR > 1 && $1 == "map" {print $3}' "$csv" | awk '!seen[$0]++')
for size in $sizes; do
	# Rows: workload, then one column per contender (0 where not run).
	awk -F, -v size="$size" -v list="$contenders" '
		BEGIN { n = split(list, c, "\n") }
		NR > 1 && $1 == "map" && $3 == size && $4 == "1 thread" {
			if (!($2 in seen)) { seen[$2] = 1; order[++w] = $2 }
			v[$2, $5] = $6 / 1e6
		}
		END {
			printf "workload"; for (i = 1; i <= n; i++) printf " %s", c[i]; print ""
			for (j = 1; j <= w; j++) {
				printf "%s", order[j]
				for (i = 1; i <= n; i++) printf " %.3f", v[order[j], c[i]] + 0
				print ""
			}
		}' "$csv" > "$tmp/$size.dat"
done
ncols=$(echo "$contenders" | wc -l)
{
	echo "set style data histograms; set style histogram clustered gap 1"
	echo "set style fill solid 0.8 border -1; set key outside right top"
	echo "set ylabel 'million operations / s (median, 1 thread)'; set grid ytics"
	echo "set xtics rotate by -30; set multiplot layout $(echo "$sizes" | wc -w),1"
	for size in $sizes; do
		echo "set title 'map, $size keys'"
		printf "plot '%s' using 2:xtic(1) title columnhead" "$tmp/$size.dat"
		i=3
		while [ $i -le $((ncols + 1)) ]; do printf ", '' using %d title columnhead" $i; i=$((i + 1)); done
		echo
	done
	echo "unset multiplot"
} > "$tmp/plot.gp"
"$GNUPLOT" -e "set terminal svg size 1000,$((420 * $(echo "$sizes" | wc -w))); set output '$prefix.svg'" "$tmp/plot.gp"
echo "plot: $prefix.svg"
if "$GNUPLOT" -e "set terminal pngcairo" >/dev/null 2>&1; then
	"$GNUPLOT" -e "set terminal pngcairo size 1000,$((420 * $(echo "$sizes" | wc -w))); set output '$prefix.png'" "$tmp/plot.gp"
	echo "plot: $prefix.png"
fi
