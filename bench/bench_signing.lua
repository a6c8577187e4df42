-- wrk script for bench_signing.py: every request posts a distinct, valid signature.
-- Emails are unique per run (the run tag), per wrk thread and per request.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run_tag = args[1] or "run"
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    "first_name=Bench&last_name=Signer%d&email=bench-%s-%d-%d%%40load.example"
      .. "&signing_as=individual&organisation=Load+Test+Records&country=DE&list_publicly=y",
    counter, run_tag, thread_id, counter)
  return wrk.format("POST", wrk.path,
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
