-- A 10M-iteration numeric loop: arithmetic and comparisons only.
local t0 = os.clock()
local s, x = 0, 0.5
for i = 1, 10000000 do
  s = s + i % 7
  x = x * 1.0000001
end
local ms = (os.clock() - t0) * 1000
assert(s > 0 and x > 0)
print(string.format("result=%d", s))
print(string.format("elapsed_ms=%.3f", ms))
