#!/usr/bin/env bash
# Publishes site/ to an S3 bucket on Slipway as a static website and opens the endpoint to
# unsigned calls from it (the server must list the endpoint in SLIPWAY_PUBLIC_INVOKE).
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:7447 ./publish.sh BUCKET [ENDPOINT]
#
# Uses the AWS CLI only, with whatever credentials it is configured with.
set -euo pipefail

bucket=${1:?usage: publish.sh BUCKET [ENDPOINT]}
endpoint=${2:-iris}
server=${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the Slipway server, e.g. http://127.0.0.1:7447}
server=${server%/}
here=$(cd "$(dirname "$0")" && pwd)

aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 || aws s3 mb "s3://$bucket"

# The page learns where to send its CSV from config.js.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$here/site/." "$stage/"
printf 'window.IRIS_CONFIG = { serverUrl: "%s", endpointName: "%s" };\n' "$server" "$endpoint" >"$stage/config.js"
aws s3 sync "$stage" "s3://$bucket/" --delete --no-progress

aws s3 website "s3://$bucket" --index-document index.html
aws s3api put-bucket-policy --bucket "$bucket" --policy "{
  \"Version\": \"2012-10-17\",
  \"Statement\": [{\"Sid\": \"PublicRead\", \"Effect\": \"Allow\", \"Principal\": \"*\",
                   \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::$bucket/*\"}]
}"

arn=$(aws sagemaker describe-endpoint --endpoint-name "$endpoint" --query EndpointArn --output text)
aws sagemaker add-tags --resource-arn "$arn" --tags Key=slipway:public-invoke,Value=true >/dev/null

hostport=${server#*://}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=80
echo "Published. Open http://$bucket.s3-website.localhost:$port/"
