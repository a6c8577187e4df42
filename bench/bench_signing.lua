-- wrk script for bench_signing.py: every request posts a distinct, valid signature.
-- Emails are unique per run (the run tag), per wrk thread and per request. Arguments: the
-- run tag and the form stamp.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run_tag = args[1] or "run"
  -- A genuine form stamp (URL-safe already), as the page puts in the form.
  stamp = args[2] or ""
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    "first_name=Bench&last_name=Signer%d&email=bench-%s-%d-%d%%40load.example"
      .. "&signing_as=individual&organisation=Load+Test+Records&country=DE&list_publicly=y"
      .. "&website=&stamp=%s",
    counter, run_tag, thread_id, counter, stamp)
  return wrk.format("POST", wrk.path,
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
