-- Recursive Fibonacci: function calls and integer arithmetic.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local t0 = os.clock()
local r = fib(30)
local ms = (os.clock() - t0) * 1000
assert(r == 832040)
print(string.format("result=%d", r))
print(string.format("elapsed_ms=%.3f", ms))
