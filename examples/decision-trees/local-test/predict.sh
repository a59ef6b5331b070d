#!/usr/bin/env bash
# POST a payload file to the local server started by serve_local.sh.
# Usage: local-test/predict.sh payload-file [content-type]   (default content type: text/csv)
set -euo pipefail
payload=${1:?usage: predict.sh payload-file [content-type]}
content=${2:-text/csv}

curl -sS --fail-with-body --data-binary "@$payload" -H "Content-Type: $content" -v http://127.0.0.1:8080/invocations
