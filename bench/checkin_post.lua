-- wrk script: POST /api/checkins with a fresh Idempotency-Key per request.
-- The session cookie, CSRF token and a run id (so that two runs never share a key) come from
-- the environment, set by checkin_write.py.
local counter = 0
local thread_number = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  thread_number = tonumber(wrk.thread:get("thread_number")) or 0
  wrk.method = "POST"
  wrk.path = "/api/checkins"
  wrk.body = '{"instrument":"mood","answers":[6]}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["x-csrftoken"] = os.getenv("BENCH_CSRF")
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format(
    "%s-%04x-4000-8000-%012x", os.getenv("BENCH_RUN"), thread_number, counter)
  return wrk.format()
end
