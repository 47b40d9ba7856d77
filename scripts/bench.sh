#!/usr/bin/env bash
# Runs Folio's benchmarks and prints the figures BENCHMARKS.md quotes,
# with the ratios the issues ask for, computed from this same run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== machine: $(nproc) cores, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== crypto: unlock (Argon2id as calibrated), record seal/open, blind-index token"
go test -run='^$' -bench=. -benchtime=2s ./crypto | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== storage: encrypted store vs plain bbolt, same data, same key layout"
go test -run='^$' -bench=. -benchtime=2s ./storage | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== patient search latency (p50/p95) at 10k and 100k synthetic patients"
go test -run='^$' -bench='Search' -benchtime=400x -timeout=60m -v ./app 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)|built'
echo "== registering patients, 1,000 per transaction (into a vault that grows to 20k)"
go test -run='^$' -bench='Register' -benchtime=20x -v ./app 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)'

# Ratio of batched encrypted writes to plain bbolt writes (goal >= 0.5).
enc=$(awk '/^BenchmarkCommit1000/ {for (i=1;i<=NF;i++) if ($(i+1)=="writes/s") print $i}' "$out" | head -n1)
plain=$(awk '/^BenchmarkPlainBolt1000/ {for (i=1;i<=NF;i++) if ($(i+1)=="writes/s") print $i}' "$out" | head -n1)
if [ -n "$enc" ] && [ -n "$plain" ]; then
  awk -v e="$enc" -v p="$plain" 'BEGIN { printf "== encrypted/plain batched write throughput: %.0f / %.0f writes/s = %.2fx (goal >= 0.5x)\n", e, p, e/p }'
fi
# Ratio of encrypted reads (Head: read + decrypt) to plain bbolt reads.
head=$(awk '/^BenchmarkHead/ {print $3}' "$out" | head -n1)
get=$(awk '/^BenchmarkPlainBoltGet/ {print $3}' "$out" | head -n1)
if [ -n "$head" ] && [ -n "$get" ]; then
  awk -v h="$head" -v g="$get" 'BEGIN { printf "== encrypted/plain read throughput: %.0f / %.0f reads/s = %.2fx\n", 1e9/h, 1e9/g, g/h }'
fi

echo "== scanning: the whole pipeline on both cores (store, read, OCR, barcodes, page images, split, file, index)"
echo "   image-only pages against ocrmypdf --jobs 2 on the same files, in this run; text-layer PDFs"
go test -run='^$' -bench='Pipeline' -benchtime=1x -timeout 30m ./app 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== scanning: a file written into the drop folder until its first page is viewable"
go test -run='^$' -bench='DropToViewable' -benchtime=3x -timeout 10m ./app 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== scanning: peak resident memory of the app and of a worker on a 200-page batch"
go test -run='^$' -bench='PeakMemory200' -benchtime=1x -timeout 30m ./app 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== scan worker: cost of one page by stage (ms), in-process"
go test -run='^$' -bench='BenchmarkPage' -benchtime=3x ./scan 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok)'
echo "== OCR word recall on the corpus pages with ground truth, against plain tesseract"
go test -count=1 -run='TestOCRAccuracyAgainstTesseract' -v ./scan 2>&1 | grep -E 'words read|mean word recall'
