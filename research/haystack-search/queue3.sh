#!/bin/sh
# procpt's own pipeline on the kept recipe (after queue2): results/procpt.jsonl
cd "$(dirname "$0")/../.." && mkdir -p research/haystack-search/results
while [ -n "$WAIT_PID" ] && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 5; done
nice -n 10 node research/haystack-search/search.mjs research/haystack-search/recipes/procpt-check.json \
  --out /tmp/haystack-search-runs --backend wasm --threads 1 >> research/haystack-search/results/procpt.jsonl
