#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into an EMPTY database and EMPTY file folders (a new server, or a
# drill beside the running one). Reads DATABASE_URL, MEDIA_ROOT and PRIVATE_MEDIA_ROOT from the environment.
#
#   createdb academy_restored
#   DATABASE_URL=postgresql://…/academy_restored MEDIA_ROOT=… PRIVATE_MEDIA_ROOT=… deploy/restore.sh /var/backups/academy/academy-…
#
# Then `manage.py migrate` (a no-op unless the code is newer than the backup) and `manage.py check`.
set -euo pipefail
folder=${1:?"usage: deploy/restore.sh BACKUP_FOLDER"}
: "${DATABASE_URL:?DATABASE_URL must name the (empty) PostgreSQL database to restore into}"
: "${MEDIA_ROOT:?MEDIA_ROOT must name the media folder}"
: "${PRIVATE_MEDIA_ROOT:?PRIVATE_MEDIA_ROOT must name the private files folder}"

(cd "$folder" && sha256sum --check --quiet SHA256SUMS) || { echo "restore: $folder is damaged (checksums differ)" >&2; exit 1; }
tables=$(psql "$DATABASE_URL" -Atc "select count(*) from pg_tables where schemaname = 'public'")
if [ "$tables" != 0 ]; then
  echo "restore: the database in DATABASE_URL is not empty ($tables tables): restore into a new one" >&2
  exit 1
fi
for files in "$MEDIA_ROOT" "$PRIVATE_MEDIA_ROOT"; do
  if [ -d "$files" ] && [ -n "$(ls -A "$files")" ]; then
    echo "restore: $files is not empty: restore into new folders" >&2
    exit 1
  fi
done
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$DATABASE_URL" "$folder/database.dump"
mkdir -p "$MEDIA_ROOT" "$PRIVATE_MEDIA_ROOT"
chmod 700 "$PRIVATE_MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$folder/media.tar.gz"
tar -C "$PRIVATE_MEDIA_ROOT" -xzf "$folder/private.tar.gz"
echo "restored $folder"
