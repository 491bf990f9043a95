-- wrk script for scripts/bench-peers: sends the first N Cookie header
-- values of FILE (one a line), rotating through them, each thread from its
-- own offset. Requests are formatted once, before the run.
-- Usage: wrk -s rotate.lua URL -- FILE N

local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

local reqs = {}
local i = 0

function init(args)
  local file, n = args[1], tonumber(args[2])
  for line in io.lines(file) do
    reqs[#reqs + 1] = wrk.format("GET", wrk.path, { Cookie = line })
    if #reqs >= n then break end
  end
  i = (offset or 0) % #reqs
end

function request()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
