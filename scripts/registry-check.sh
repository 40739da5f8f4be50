#!/usr/bin/env bash
# The release path end to end, against a real npm registry (a local, throwaway Verdaccio):
#   1. starts Verdaccio on 127.0.0.1 (a free port), storage in a temporary folder; it proxies third-party
#      packages from the npm registry and serves @procpt/* only from what is published to it;
#   2. versions the packages with `changeset version` in a copy of the checkout (the release rehearsal:
#      scripts/release-rehearsal.mjs checks the bumps and changelogs); the checkout is never modified;
#   3. publishes every public package with `pnpm publish` (the checkout's built dist/);
#   4. in empty projects outside the workspace, installs with npm, and with pnpm, only what a README's
#      install line says (plus typescript), then compiles (strict tsc, no @types/node of its own) and runs
#      that README's examples against the installed packages; the CLI project runs `procpt --help`, `gen`,
#      `backends`, a 20-step `train` and every README's CLI blocks.
# Verdaccio is stopped, and the temporary folder removed, on any exit.
#
# Needs a built checkout (pnpm install && pnpm build) and the npm registry. About 10–20 minutes on 2 cores.
# Env: REGISTRY_CHECK_PMS="npm pnpm" (package managers), REGISTRY_CHECK_ALL_NPM=0 (only the three projects
# of the issue with npm too), REGISTRY_CHECK_KEEP=1 (keep the temporary folder).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/procpt-registry-check.XXXXXX")"
pms="${REGISTRY_CHECK_PMS:-npm pnpm}"
verdaccio_pid=""
t0=$SECONDS

say() { printf 'registry-check [%4ss] %s\n' "$((SECONDS - t0))" "$*"; }

cleanup() {
  local status=$?
  if [ -n "$verdaccio_pid" ] && kill -0 "$verdaccio_pid" 2>/dev/null; then
    kill "$verdaccio_pid" 2>/dev/null || true
    wait "$verdaccio_pid" 2>/dev/null || true
    say "registry stopped"
  fi
  if [ "$status" -ne 0 ] && [ -f "$work/verdaccio.log" ]; then
    echo "--- last lines of the registry's log ---"
    tail -n 20 "$work/verdaccio.log" || true
  fi
  if [ "${REGISTRY_CHECK_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$repo"/packages/*/; do
  if [ "$(node -p "Boolean(require('$p/package.json').private)")" = false ] && [ ! -d "$p/dist" ]; then
    echo "registry-check: $p has no dist/: run pnpm build first" >&2
    exit 1
  fi
done

# --- 1. the registry ------------------------------------------------------------------------------------
upstream="$(npm config get registry)"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
registry="http://127.0.0.1:$port/"
mkdir -p "$work/verdaccio" "$work/storage"
cp "$repo/scripts/registry/package.json" "$repo/scripts/registry/package-lock.json" "$work/verdaccio/"
say "installing Verdaccio (scripts/registry/package-lock.json)"
(cd "$work/verdaccio" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cat >"$work/verdaccio/config.yaml" <<EOF
storage: $work/storage
listen: 127.0.0.1:$port
max_body_size: 200mb
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: -1
uplinks:
  npmjs:
    url: $upstream
    timeout: 120s
packages:
  '@procpt/*':
    access: \$all
    publish: \$all
    unpublish: \$all
  '**':
    access: \$all
    proxy: npmjs
log: { type: stdout, format: pretty, level: warn }
EOF
node "$work/verdaccio/node_modules/verdaccio/bin/verdaccio" --config "$work/verdaccio/config.yaml" \
  >"$work/verdaccio.log" 2>&1 &
verdaccio_pid=$!
for _ in $(seq 1 120); do
  if node -e "fetch('${registry}-/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  kill -0 "$verdaccio_pid" 2>/dev/null || { echo "registry-check: Verdaccio exited" >&2; exit 1; }
  sleep 0.5
done
say "registry up at $registry (pid $verdaccio_pid; third-party packages proxied from $upstream)"

# Every npm and pnpm command below uses this config only: the local registry, and a token (Verdaccio lets
# anyone publish @procpt/*, but npm and pnpm refuse to publish without one).
cat >"$work/npmrc" <<EOF
registry=$registry
//127.0.0.1:$port/:_authToken=registry-check
fund=false
audit=false
update-notifier=false
EOF
export NPM_CONFIG_USERCONFIG="$work/npmrc"
export npm_config_userconfig="$work/npmrc"

# --- 2. version a copy with changesets (the release rehearsal) ------------------------------------------
copy="$work/release"
mkdir -p "$copy"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$copy"
(cd "$copy" && git init -q && git add -A && git -c user.name=registry-check -c user.email=ci@localhost \
  commit -qm "registry-check: the checkout's working tree")
# The copy's own node_modules, from the store the checkout's install filled (pnpm publish resolves
# `workspace:` ranges through them); no install scripts, nothing downloaded.
say "versioning a copy of the checkout with changeset version"
(cd "$copy" && pnpm install --offline --frozen-lockfile --ignore-scripts --reporter=silent >"$work/copy-install.log" 2>&1) ||
  { cat "$work/copy-install.log"; exit 1; }
(cd "$copy" && node node_modules/@changesets/cli/bin.js version >"$work/changeset-version.log" 2>&1) ||
  { cat "$work/changeset-version.log"; exit 1; }
node "$repo/scripts/release-rehearsal.mjs" "$repo" "$copy"

# --- 3. publish every public package --------------------------------------------------------------------
for p in "$repo"/packages/*/; do
  name="$(basename "$p")"
  [ -d "$p/dist" ] && cp -R "$p/dist" "$copy/packages/$name/dist"
done
say "publishing with pnpm publish"
(cd "$copy" && pnpm -r --filter './packages/*' publish --no-git-checks --access public \
  --registry "$registry" >"$work/publish.log" 2>&1) || { cat "$work/publish.log"; exit 1; }
published="$(node -e "
  const fs = require('fs');
  const out = [];
  for (const d of fs.readdirSync('$copy/packages')) {
    const m = JSON.parse(fs.readFileSync('$copy/packages/' + d + '/package.json', 'utf8'));
    if (!m.private) out.push(m.name + '@' + m.version);
  }
  console.log(out.join(' '));")"
for spec in $published; do
  node -e "fetch('${registry}${spec%@*}').then(r=>r.json()).then(j=>process.exit(j.versions?.['${spec##*@}']?0:1),()=>process.exit(1))" ||
    { echo "registry-check: $spec is not in the registry" >&2; cat "$work/publish.log"; exit 1; }
done
say "published: $published"

# --- 4. consumers ---------------------------------------------------------------------------------------
typescript="$(node -p "require('$repo/node_modules/typescript/package.json').version")"
# procpt-native loads in a consumer without a compiler or an install script when the package ships a prebuilt
# binary for this platform (linux-x64, linux-arm64); elsewhere the consumers train on wasm.
native_here=no
[ -f "$repo/packages/backend-native/prebuilds/$(node -p 'process.platform + "-" + process.arch')/procpt_native.node" ] &&
  native_here=yes

# consumer PM NAME ts|all README… : an empty project that installs the READMEs' install lines (and
# typescript), then compiles and runs the READMEs' TypeScript examples (all: their shell blocks too).
consumer() {
  local pm=$1 name=$2 only=$3
  shift 3
  local dir="$work/consumers/$pm-$name" specs
  mkdir -p "$dir"
  # No "onlyBuiltDependencies": the prebuilt procpt-native needs no install script, so pnpm 10's default
  # policy (dependencies' build scripts blocked) must not matter.
  cat >"$dir/package.json" <<EOF
{
  "name": "consumer-$name",
  "private": true,
  "type": "module",
  "devDependencies": { "typescript": "$typescript" }
}
EOF
  specs="$(for readme in "$@"; do node "$repo/scripts/docs-examples.mjs" install-line "$readme"; done | sort -u | xargs)"
  say "$pm $name: install $specs"
  case "$pm" in
    npm) (cd "$dir" && timeout 1200 npm install --no-audit --no-fund --loglevel=error $specs >"$dir/install.log" 2>&1) ;;
    pnpm) (cd "$dir" && timeout 1200 pnpm add --reporter=append-only $specs >"$dir/install.log" 2>&1) ;;
  esac || { cat "$dir/install.log"; return 1; }
  check_installed "$pm" "$dir"
  say "$pm $name: examples of $*"
  if [ "$only" = ts ]; then
    node "$repo/scripts/docs-examples.mjs" run --project "$dir" --only ts "$@"
  else
    node "$repo/scripts/docs-examples.mjs" run --project "$dir" "$@"
  fi
}

# Every installed @procpt package: the published version, its LICENSE, no workspace: protocol left.
check_installed() {
  local pm=$1 dir=$2
  node -e "
    const fs = require('fs'), path = require('path');
    const want = new Map('$published'.split(' ').map((s) => [s.slice(0, s.lastIndexOf('@')), s.slice(s.lastIndexOf('@') + 1)]));
    const dirs = [];
    const scan = (base) => { if (fs.existsSync(base)) for (const d of fs.readdirSync(base)) dirs.push(path.join(base, d)); };
    scan('$dir/node_modules/@procpt');
    const store = '$dir/node_modules/.pnpm';
    if (fs.existsSync(store)) for (const d of fs.readdirSync(store)) if (d.startsWith('@procpt+')) scan(path.join(store, d, 'node_modules/@procpt'));
    const seen = new Set();
    for (const d of dirs) {
      const m = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
      if (seen.has(m.name)) continue;
      seen.add(m.name);
      if (m.version !== want.get(m.name)) throw new Error(m.name + '@' + m.version + ' installed, ' + want.get(m.name) + ' published');
      if (!fs.existsSync(path.join(d, 'LICENSE'))) throw new Error(m.name + ': no LICENSE in the tarball');
      if (JSON.stringify(m).includes('workspace:')) throw new Error(m.name + ': workspace: protocol in the published package.json');
    }
    if (seen.size === 0) throw new Error('no @procpt package installed');
    console.log('  installed (' + '$pm' + '): ' + [...seen].sort().join(' ') + ' — each with its LICENSE');
  "
}

# Which backend ran: procpt-native where a prebuilt binary exists for this platform, wasm otherwise.
check_backend() {
  local pm=$1 dir=$2 expected=wasm got
  [ "$native_here" = yes ] && expected=procpt-native
  got="$(cd "$dir" && node --input-type=module -e "
    const { selectBackend } = await import('@procpt/trainer-gpu');
    console.log((await selectBackend('auto')).name);" 2>/dev/null | tail -n 1)"
  say "$pm: selectBackend('auto') ran $got (expected $expected)"
  [ "$got" = "$expected" ] || { echo "registry-check: $pm consumer ran $got, not $expected" >&2; return 1; }
}

# The typed generator specs, as a consumer sees them: procgen's type test against the published .d.ts.
check_spec_types() {
  local dir=$1
  mkdir -p "$dir/typecheck"
  sed "s#from './index.js'#from '@procpt/procgen'#" "$repo/packages/procgen/src/spec.test-d.ts" >"$dir/typecheck/spec.ts"
  cat >"$dir/typecheck/tsconfig.json" <<EOF
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "skipLibCheck": false, "types": [], "noEmit": true }, "files": ["spec.ts"] }
EOF
  (cd "$dir" && node node_modules/typescript/bin/tsc -p typecheck/tsconfig.json)
  say "procgen spec types: every @ts-expect-error of spec.test-d.ts is an error for a consumer"
}

cli_blocks=(packages/procgen/README.md packages/tokenizer/README.md packages/model/README.md
  packages/eval/README.md packages/corpora/README.md packages/study/README.md)

for pm in $pms; do
  # The three projects of the issue: procgen alone; model + trainer-gpu; the CLI.
  consumer "$pm" procgen ts packages/procgen/README.md
  check_spec_types "$work/consumers/$pm-procgen"
  consumer "$pm" model-trainer ts packages/model/README.md packages/trainer-gpu/README.md
  check_backend "$pm" "$work/consumers/$pm-model-trainer"
  consumer "$pm" cli all packages/cli/README.md
  say "$pm cli: every README's CLI blocks"
  node "$repo/scripts/docs-examples.mjs" run --project "$work/consumers/$pm-cli" --only sh "${cli_blocks[@]}"
  # Every other README, each in its own project, with npm.
  if [ "$pm" = npm ] && [ "${REGISTRY_CHECK_ALL_NPM:-1}" = 1 ]; then
    for name in core tokenizer backend-native runner paper eval corpora; do
      consumer npm "$name" ts "packages/$name/README.md"
    done
    check_backend npm "$work/consumers/npm-runner"
  fi
done
say "done: every public package installs from a registry with $pms, and the READMEs' examples run there"
