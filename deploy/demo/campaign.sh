#!/bin/sh
# The other services' part of the demo campaign, with redis-cli: the campaign manager's
# execution document (RedisJSON), the cache service's contacts, and `start`.
set -eu
cli() { redis-cli -h "${REDIS_HOST:-redis}" "$@"; }
execution="${EXECUTION:-compose-demo-1}"
contacts="${CONTACTS:-300}"

cli JSON.SET "campaign_execution:${execution}" '$' "{
  \"campaign_execution_id\": \"${execution}\",
  \"studio_flow_sid\": \"FWdddddddddddddddddddddddddddddddd\",
  \"from_number\": \"+15005550006\",
  \"task_queue_sid\": \"WQdddddddddddddddddddddddddddddddd\",
  \"pacing\": {\"mode\": \"progressive\", \"dial_ratio\": 1.5, \"max_concurrent_calls\": 100}
}"
cli DEL "campaign_cache:{${execution}}" >/dev/null
n=0
while [ "$n" -lt "$contacts" ]; do
  number=$(printf '+1415555%04d' "$n")
  cli RPUSH "campaign_cache:{${execution}}" \
    "{\"record_id\": \"r-${n}\", \"phone_number\": \"${number}\", \"attributes\": {\"n\": ${n}}}" \
    >/dev/null
  n=$((n + 1))
done
cli XADD queue_control_stream '*' action start campaign_execution_id "${execution}" \
  request_id compose-demo
echo "started ${execution} with ${contacts} contacts"
