#!/usr/bin/env bash
# Run the image's `train` the way SageMaker does, against a local /opt/ml tree (./test_dir).
# Usage: local-test/train_local.sh [image]   (default image: decision-trees)
set -euo pipefail
image=${1:-decision-trees}
here="$(cd "$(dirname "$0")" && pwd)"
dir="$here/test_dir"

mkdir -p "$dir/input/config" "$dir/input/data/training" "$dir/model" "$dir/output"
rm -rf "$dir/model/"* "$dir/output/"*
# Hyperparameter values are strings, exactly as SageMaker passes them.
[[ -f "$dir/input/config/hyperparameters.json" ]] || echo '{"max_leaf_nodes": "5"}' > "$dir/input/config/hyperparameters.json"
[[ -f "$dir/input/config/inputdataconfig.json" ]] || \
  echo '{"training": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}}' \
  > "$dir/input/config/inputdataconfig.json"
[[ -f "$dir/input/config/resourceconfig.json" ]] || \
  echo '{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}' > "$dir/input/config/resourceconfig.json"
cp "$here/../data/iris.csv" "$dir/input/data/training/iris.csv"

docker run --rm -v "$dir:/opt/ml" "$image" train
ls -l "$dir/model"
