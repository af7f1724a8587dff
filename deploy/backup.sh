#!/usr/bin/env bash
# Back up the platform: the PostgreSQL database (pg_dump, custom format) and the two file folders (MEDIA_ROOT:
# videos, images, documents; PRIVATE_MEDIA_ROOT: roster uploads, certificates, exports, reports), with their
# checksums, into a new folder under TARGET. Reads DATABASE_URL, MEDIA_ROOT and PRIVATE_MEDIA_ROOT from the
# environment (the same file the services read: `set -a; . /etc/academy/academy.env; set +a`).
#
#   deploy/backup.sh /var/backups/academy        → /var/backups/academy/academy-20261206T031500Z/
#
# A consistent copy without stopping anything: pg_dump reads one snapshot, and files are only ever added or
# deleted, never rewritten in place. Files kept in object storage (AWS_STORAGE_BUCKET_NAME set) are not in this
# backup: keep the bucket versioned and replicated instead (README, Backups).
set -euo pipefail
target=${1:?"usage: deploy/backup.sh TARGET_FOLDER"}
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}"
: "${MEDIA_ROOT:?MEDIA_ROOT must name the media folder}"
: "${PRIVATE_MEDIA_ROOT:?PRIVATE_MEDIA_ROOT must name the private files folder}"

folder="$target/academy-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder.partial"
chmod 700 "$folder.partial"  # personal data: the backup is as private as the database
pg_dump --format=custom --no-owner --no-privileges --file "$folder.partial/database.dump" "$DATABASE_URL"
mkdir -p "$MEDIA_ROOT" "$PRIVATE_MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -czf "$folder.partial/media.tar.gz" .
tar -C "$PRIVATE_MEDIA_ROOT" -czf "$folder.partial/private.tar.gz" .
(cd "$folder.partial" && sha256sum database.dump media.tar.gz private.tar.gz > SHA256SUMS)
mv "$folder.partial" "$folder"  # a folder without .partial is a whole backup
echo "$folder"
