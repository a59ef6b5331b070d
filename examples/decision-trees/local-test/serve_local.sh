#!/usr/bin/env bash
# Serve the model trained by train_local.sh on http://127.0.0.1:8080 (Ctrl-C stops it).
# Usage: local-test/serve_local.sh [image]   (default image: decision-trees)
set -euo pipefail
image=${1:-decision-trees}
here="$(cd "$(dirname "$0")" && pwd)"

docker run --rm -it -p 127.0.0.1:8080:8080 -v "$here/test_dir/model:/opt/ml/model:ro" "$image" serve
