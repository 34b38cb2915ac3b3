-- wrk script: POST /api/checkins, each request from the next patient in turn, with a fresh
-- Idempotency-Key. Sessions come from the file named by BENCH_SESSIONS (cookie TAB csrf per
-- line); BENCH_RUN keeps two runs from ever sharing a key. Both are set by checkin_write.py.
local counter = 0
local thread_number = 0
local threads = 0
local cookies = {}
local tokens = {}

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  thread_number = tonumber(wrk.thread:get("thread_number")) or 0
  for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local cookie, token = line:match("([^\t]+)\t([^\t]+)")
    cookies[#cookies + 1] = cookie
    tokens[#tokens + 1] = token
  end
  wrk.method = "POST"
  wrk.path = "/api/checkins"
  wrk.body = '{"instrument":"mood","answers":[6]}'
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local who = (counter % #cookies) + 1
  wrk.headers["Cookie"] = cookies[who]
  wrk.headers["x-csrftoken"] = tokens[who]
  wrk.headers["Idempotency-Key"] = string.format(
    "%s-%04x-4000-8000-%012x", os.getenv("BENCH_RUN"), thread_number, counter)
  return wrk.format()
end
