#!/usr/bin/env bash
# Runs the given configs one after another; a run with checkpoints resumes, a finished one is skipped.
cd "$(dirname "$0")"
for cfg in "$@"; do
  name=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).name)' "$cfg")
  dir=runs/$name
  if [ -d "$dir/final" ]; then echo "skip $name (finished)"; continue; fi
  if ls -d "$dir"/checkpoints/step-* >/dev/null 2>&1; then
    echo "resume $name"; nice -n 19 node /work/r18code/packages/cli/dist/bin.js train -c "$cfg" --resume "$dir" > "logs/$name.log" 2>&1
  else
    echo "start $name"; nice -n 19 node /work/r18code/packages/cli/dist/bin.js train -c "$cfg" > "logs/$name.log" 2>&1
  fi
  echo "exit $? $name"
done
