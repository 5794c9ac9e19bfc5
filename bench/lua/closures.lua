-- 1M closures created and called, each capturing an upvalue.
local t0 = os.clock()
local function make(n)
  return function(x) return x + n end
end
local sum = 0
for i = 1, 1000000 do
  local f = make(i)
  sum = sum + f(1)
end
local ms = (os.clock() - t0) * 1000
print(string.format("result=%d", sum))
print(string.format("elapsed_ms=%.3f", ms))
