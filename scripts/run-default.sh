#!/usr/bin/env bash
# `make run`: the hashwatch server on a demo database, for local development.
#
#  1. The database (./var/hashwatch, or $HASHWATCH_DB) gets, the first time,
#     a bank `sample` holding the PDQ hashes of the benign demo pictures
#     testdata/pictures/*.jpg (category `demo`), imported with the CLI
#     while no server holds the database. $HASHWATCH_CORPUS may name another
#     folder of .jpg pictures, or a corpus folder holding base/ (such as
#     ../shared/corpus); relative paths are from the repository root.
#  2. Demo tokens demo-pipeline, demo-moderator, demo-lead and demo-admin are
#     made if missing and written to <db>/demo-tokens.env (mode 0600).
#  3. It prints how to scan, then execs `hashwatch serve --plaintext` on
#     127.0.0.1:50051 ($HASHWATCH_LISTEN) until Ctrl-C / SIGTERM.
#
# Re-runnable: a second run finds the bank and the tokens and goes straight
# to serving. Plaintext and tokens in a file are for local development only.
# $HASHWATCH_BIN: the folder holding the hashwatch binary (./build/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${HASHWATCH_BIN:-./build/bin}/hashwatch"
db="${HASHWATCH_DB:-./var/hashwatch}"
listen="${HASHWATCH_LISTEN:-127.0.0.1:50051}"
corpus="${HASHWATCH_CORPUS:-testdata/pictures}"
env_file="$db/demo-tokens.env"

say() { echo "run-default: $*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$bin" ] || die "$bin is not built (run: make build)"
mkdir -p "$db"

# --- 1. the sample bank ---------------------------------------------------
# `bank list` refuses a folder that holds no database yet; `bank create`
# below makes it.
banks=""
if [ -d "$db/banks" ] && ! banks=$("$bin" bank list --json --db "$db" 2>&1); then
  die "cannot open the banks of $db: $banks
run-default: (a hashwatch server already running on $db holds it; stop that one first)"
fi
sample_entries=$(sed -n 's/^{"name":"sample",.*"entries":\([0-9]*\)}$/\1/p' <<<"$banks")
if [ -z "$sample_entries" ] || [ "$sample_entries" = 0 ]; then
  # The corpus folder (holding base/), or a folder of pictures itself.
  if [ -d "$corpus/base" ]; then
    pictures_dir="$corpus/base" source_prefix="corpus/base"
  else
    pictures_dir="$corpus" source_prefix="$(basename "$corpus")"
  fi
  shopt -s nullglob
  pictures=("$pictures_dir"/*.jpg)
  shopt -u nullglob
  [ ${#pictures[@]} -gt 0 ] ||
    die "no .jpg pictures in $corpus or $corpus/base (HASHWATCH_CORPUS names the corpus folder holding base/, or a folder of .jpg pictures)"
  list="$db/sample-bank.csv"  # kept: what the bank holds, re-importable
  # `hashwatch hash` prints: pdq quality md5 sha1 sha256 path (tab-separated);
  # the bank takes a CSV with a hash column.
  {
    echo "hash,category,source"
    "$bin" hash "${pictures[@]}" |
      awk -F'\t' -v prefix="$source_prefix" \
        '{ n = split($6, p, "/"); printf "%s,demo,%s/%s\n", $1, prefix, p[n] }'
  } >"$list" || die "hashing $pictures_dir failed"
  if [ -z "$sample_entries" ]; then
    "$bin" bank create sample --default-category demo --db "$db"
  fi
  "$bin" bank import sample "$list" --signal pdq --db "$db" ||
    die "importing the sample hashes failed"
fi

# --- 2. demo tokens ---------------------------------------------------------
# A token's secret is shown once, at creation; the env file keeps it. A
# token whose secret is not in the file (or no longer in tokens.json, e.g.
# after the database was recreated) is revoked and made again.
if [ -f "$env_file" ]; then
  # shellcheck disable=SC1090
  source "$env_file"
fi
existing=$("$bin" token list --json --db "$db")
changed=0
for role in pipeline moderator lead admin; do
  name="demo-$role"
  var="HASHWATCH_TOKEN_${role^^}"
  secret="${!var:-}"
  if [ -n "$secret" ] && grep -q "\"name\":\"$name\"" <<<"$existing"; then
    digest=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
    if grep -q "$digest" "$db/tokens.json"; then continue; fi
  fi
  if grep -q "\"name\":\"$name\"" <<<"$existing"; then
    "$bin" token revoke "$name" --db "$db" >/dev/null
  fi
  secret=$("$bin" token create "$name" --role "$role" --db "$db" 2>/dev/null) ||
    die "cannot create the token $name"
  printf -v "$var" '%s' "$secret"
  changed=1
done
if [ "$changed" = 1 ] || [ ! -f "$env_file" ]; then
  tmp="$env_file.tmp"
  (
    umask 077
    {
      echo "# hashwatch demo tokens: LOCAL DEVELOPMENT ONLY (made by scripts/run-default.sh)."
      echo "# Anyone who can read this file can use them; never copy them to a real server."
      for role in pipeline moderator lead admin; do
        var="HASHWATCH_TOKEN_${role^^}"
        echo "export $var=${!var}"
      done
    } >"$tmp"
  )
  mv "$tmp" "$env_file"
  say "demo tokens written to $env_file"
fi

# --- 3. serve -----------------------------------------------------------------
cat <<EOF
hashwatch demo on $listen (plaintext, local development only); bank "sample" holds the demo pictures' PDQ hashes.
  In another shell:  source $env_file; export HASHWATCH_TOKEN=\$HASHWATCH_TOKEN_PIPELINE
  Scan one image:    build/bin/hashwatch scan --server $listen --plaintext testdata/pictures/b011.jpg
  Scan them all:     /usr/bin/python3 examples/scan.py --server $listen --plaintext testdata/pictures/*.jpg
  Review the queue:  HASHWATCH_TOKEN=\$HASHWATCH_TOKEN_MODERATOR /usr/bin/python3 examples/review.py --server $listen --plaintext
EOF
exec "$bin" serve --plaintext --db "$db" --listen "$listen"
