-- api_uncached.lua -- wrk: GET /api/v1/detections?limit=50 with a distinct
-- (and harmless) min_score per request, so no answer comes from the server's
-- page cache: every request runs the store query and builds the JSON.
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, string.format("/api/v1/detections?limit=50&min_score=0.%09d", n % 1000000))
end
