/**
 * The scheduler of the `Workflow` global's parallel runs (workflow_lua.ts, which runs this
 * chunk with its `call` and `is_stop` and gets the scheduling function): each branch
 * is a coroutine marked as scheduled (`host.branch`, with its path), whose host calls are
 * submitted and yield their tickets here (src/engine/worker/api_globals.ts). One wait serves
 * the whole tree of branches: a scheduler running in a branch (a nested parallel workflow)
 * yields its tickets to the enclosing one instead of waiting itself.
 * (docs/decisions/0029-parallel-branches-by-ticket.md)
 *
 * @module
 */
export const SCHEDULE_LUA = String.raw`
local call, is_stop = ...
local error, pairs, ipairs, tostring, setmetatable = error, pairs, ipairs, tostring, setmetatable
local create, resume, status, close = coroutine.create, coroutine.resume, coroutine.status, coroutine.close
local yield, running, isyieldable = coroutine.yield, coroutine.running, coroutine.isyieldable
local pack, unpack, sort = table.pack, table.unpack, table.sort

-- The path of each running branch ("2", "2/1": branch 1 of a workflow run in branch 2). It
-- names the branch's host calls (host.branch), by which a replay gives each call the answer
-- its own branch got, whichever order the answers come in.
local branch_of = setmetatable({}, { __mode = "k" })

-- What a scheduler running in a branch (a nested parallel workflow) yields with its tickets:
-- the enclosing scheduler waits for them with its own branches' calls, in one host.wait.
local WAIT = {}

-- The first answer of tickets: true, the ticket and the call's answer, or false and why.
local function wait(tickets)
  if branch_of[running()] and isyieldable() then return yield(WAIT, tickets) end
  return call("host.wait", unpack(tickets))
end

-- What a schedule leaves when it ends early (a failure, or the branch running it cancelled
-- by coroutine.close): its calls in flight are dropped (aborted), its branches closed.
local SCHEDULE = {
  __close = function(s)
    local tickets = {}
    for t in pairs(s.waiting) do tickets[#tickets + 1] = t end
    if #tickets > 0 then call("host.drop", unpack(tickets)) end
    for _, co in ipairs(s.cos) do
      if status(co) ~= "dead" then
        call("host.branch", co, false)
        close(co)
      end
    end
  end,
}

-- Runs fns as scheduled coroutines, at most max at a time; raises the first failure after
-- cancelling the others (their outstanding calls are dropped and aborted).
return function(fns, max)
  local n = #fns
  local s <close> = setmetatable({ cos = {}, waiting = {} }, SCHEDULE)
  -- waiting: ticket -> branch; nested: the branches waiting as a schedule (WAIT), which
  -- take a wait's whole answer.
  local cos, waiting, nested = s.cos, s.waiting, {}
  local parent = branch_of[running()]
  local live, started = 0, 0
  local failure
  local function after(i, ok, a, b)
    local co = cos[i]
    if status(co) == "dead" then
      call("host.branch", co, false)
      live = live - 1
      if not ok and (failure == nil or is_stop(a)) then failure = a end
    elseif a == call then
      waiting[b] = i
      nested[i] = nil
    elseif a == WAIT then
      for _, t in ipairs(b) do waiting[t] = i end
      nested[i] = true
    else
      call("host.branch", co, false)
      close(co)
      live = live - 1
      failure = failure or "a step yielded (coroutine.yield) outside a coroutine of its own"
    end
  end
  while failure == nil do
    while live < max and started < n and failure == nil do
      started = started + 1
      local co = create(fns[started])
      cos[started] = co
      local path = parent and (parent .. "/" .. started) or tostring(started)
      branch_of[co] = path
      call("host.branch", co, true, path)
      live = live + 1
      after(started, resume(co))
    end
    if live == 0 or failure ~= nil then break end
    local tickets = {}
    for t in pairs(waiting) do tickets[#tickets + 1] = t end
    -- The oldest answer first when several are there: a replay resumes branches alike.
    sort(tickets)
    local r = pack(wait(tickets))
    if not r[1] then failure = r[2] break end
    local i = waiting[r[2]]
    -- A nested schedule waited for several: it yields its tickets again when it waits again.
    for t, j in pairs(waiting) do if j == i then waiting[t] = nil end end
    after(i, resume(cos[i], unpack(r, nested[i] and 1 or 3, r.n)))
  end
  if failure ~= nil then error(failure, 0) end
end
`;
