-- wrk script: POST /api/checkins with a fresh Idempotency-Key per request.
-- The session cookie and CSRF token come from the environment (set by checkin_write.py).
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", math.random(1, 0xfffff))
end

function init(args)
  thread_id = tonumber(wrk.thread:get("thread_id")) or 0
  wrk.method = "POST"
  wrk.path = "/api/checkins"
  wrk.body = '{"instrument":"mood","answers":[6]}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["x-csrftoken"] = os.getenv("BENCH_CSRF")
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("%08x-0000-4000-8000-%012x", thread_id, counter)
  return wrk.format()
end
