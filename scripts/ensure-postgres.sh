#!/usr/bin/env bash
# Makes PostgreSQL answer on 127.0.0.1:5432 for user postgres without a
# password, as the tests expect: installs it from Debian's packages when it is
# missing, creates and starts the cluster when it is down, and allows trust
# auth on loopback when a fresh install asks for a password. Needs root only
# for what it has to change; does nothing when PostgreSQL already answers.
set -euo pipefail

ready() { psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -Atqc 'select 1' >/dev/null 2>&1; }

if command -v psql >/dev/null && ready; then
  exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true

for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.2
done

if ! ready; then
  hba=$(su postgres -c "psql -Atqc 'show hba_file'")
  if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    echo "ensure-postgres: allowing trust auth for postgres on loopback ($hba)" >&2
    sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
fi

ready || { echo "ensure-postgres: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
